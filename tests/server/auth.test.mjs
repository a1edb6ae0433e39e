// auth.test.mjs - authentication and authorization through the server: credentials are needed
// (all but /version), wrong ones get 401 whether the user exists or not, the store must have a
// user unless --no-auth, and each right (start, read, work, admin; by user or group; on one
// process or *) lets through exactly what it should: every refusal is 401 or 403 with a message
// and changes nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { tempStore, addUser, serve, auth, call, deploy, cli, BIN, ROOT } from "./harness.mjs";

let store, srv;
const A = auth("boss", "boss-password-1");
const SALES = auth("sam", "sam-password-1");
const CLERK = auth("carl", "carl-password-1");
const OUT = auth("otto", "otto-password-1");
const RITA = auth("rita", "rita-password-1");

before(async () => {
  store = tempStore();
  addUser(store.db, "boss", "boss-password-1", ["--admin"]);
  addUser(store.db, "sam", "sam-password-1", ["--groups", "sales"]);
  addUser(store.db, "carl", "carl-password-1", ["--groups", "office"]);
  addUser(store.db, "otto", "otto-password-1");
  addUser(store.db, "rita", "rita-password-1");
  for (const g of [["sales", "start", "sales-deal"], ["sales", "work", "sales-deal"], ["office", "read", "*"],
                   ["user:rita", "start", "sales-deal"], ["user:rita", "work-own", "sales-deal"]])
    assert.equal(cli(store.db, ["grant", ...g]).code, 0);
  srv = await serve(store.db);
  const d = await deploy(srv.base, [ROOT + "/samples/sales-deal.bpmn", ROOT + "/samples/incoming-lead.bpmn"], A);
  assert.equal(d.status, 200, d.text);
});

after(async () => {
  if (srv) await srv.stop();
  store.remove();
});

test("serve refuses a store without users unless --no-auth", () => {
  const empty = tempStore();
  const r = spawnSync(BIN, ["--db", empty.db, "serve", "--http", "127.0.0.1:0"], { encoding: "utf8", timeout: 10000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no users/);
  empty.remove();
});

test("credentials are needed, and wrong ones are refused the same way for known and unknown users", async () => {
  assert.equal((await call(srv.base, "GET", "/version")).status, 200);
  const none = await call(srv.base, "GET", "/process-definition");
  assert.equal(none.status, 401);
  assert.equal(none.json.type, "AuthenticationException");
  const wrong = await call(srv.base, "GET", "/process-definition", { headers: auth("boss", "nope-nope-nope") });
  const unknown = await call(srv.base, "GET", "/process-definition", { headers: auth("nobody", "nope-nope-nope") });
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  assert.equal(wrong.text, unknown.text);
  const res = await fetch(srv.base + "/process-definition");
  assert.match(res.headers.get("www-authenticate") ?? "", /Basic/);
});

test("grants decide who starts, reads and works on which process", async () => {
  const start = (H, key, vars = {}) => call(srv.base, "POST", `/process-definition/key/${key}/start`, {
    headers: H, body: { variables: vars } });
  const client = { client: { value: "ACME", type: "String" } };
  // sales may start sales deals, not leads; the others may start nothing
  const deal = await start(SALES, "sales-deal", client);
  assert.equal(deal.status, 200, deal.text);
  for (const [H, key] of [[SALES, "incoming-lead"], [CLERK, "sales-deal"], [OUT, "sales-deal"]]) {
    const r = await start(H, key, client);
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.type, "AuthorizationException");
  }
  const count = (await call(srv.base, "GET", "/process-instance/count", { headers: A })).json.count;
  assert.equal(count, 1, "refused starts stored nothing");
  // reading: the office reads everything, otto nothing, sales its deals
  const seen = async (H) => (await call(srv.base, "GET", "/process-instance", { headers: H })).json.map((i) => i.id);
  assert.deepEqual(await seen(CLERK), [deal.json.id]);
  assert.deepEqual(await seen(OUT), []);
  assert.deepEqual(await seen(SALES), [deal.json.id]);
  const one = await call(srv.base, "GET", `/process-instance/${deal.json.id}`, { headers: OUT });
  assert.equal(one.status, 403);
  // working: the clerk may read but not change; sales may
  const put = (H) => call(srv.base, "PUT", `/process-instance/${deal.json.id}/variables/note`, {
    headers: H, body: { value: "x", type: "String" } });
  assert.equal((await put(CLERK)).status, 403);
  assert.equal((await put(SALES)).status, 204);
  const del = await call(srv.base, "DELETE", `/process-instance/${deal.json.id}`, { headers: CLERK });
  assert.equal(del.status, 403);
  // deploying is for admins
  const dep = await deploy(srv.base, [ROOT + "/samples/lost-clients.bpmn"], SALES);
  assert.equal(dep.status, 403);
  const defs = await call(srv.base, "GET", "/process-definition?key=lost-clients", { headers: A });
  assert.deepEqual(defs.json, []);
});

test("work-own covers the instances a user started, and nothing else", async () => {
  const client = { client: { value: "Initech", type: "String" } };
  const mine = await call(srv.base, "POST", "/process-definition/key/sales-deal/start", { headers: RITA, body: { variables: client } });
  assert.equal(mine.status, 200, mine.text);
  const theirs = await call(srv.base, "POST", "/process-definition/key/sales-deal/start", { headers: SALES, body: { variables: client } });
  assert.equal(theirs.status, 200, theirs.text);
  const list = await call(srv.base, "GET", "/process-instance", { headers: RITA });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.map((i) => i.id), [mine.json.id]);
  assert.equal((await call(srv.base, "GET", `/process-instance/${mine.json.id}`, { headers: RITA })).status, 200);
  assert.equal((await call(srv.base, "GET", `/process-instance/${theirs.json.id}`, { headers: RITA })).status, 403);
  const put = (id) => call(srv.base, "PUT", `/process-instance/${id}/variables/note`, { headers: RITA, body: { value: "x", type: "String" } });
  assert.equal((await put(mine.json.id)).status, 204);
  assert.equal((await put(theirs.json.id)).status, 403);
  const vars = await call(srv.base, "GET", `/process-instance/${theirs.json.id}/variables`, { headers: A });
  assert.equal(vars.json.note, undefined, "the refused change stored nothing");
});

