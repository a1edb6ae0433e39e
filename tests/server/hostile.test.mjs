// hostile.test.mjs - broken and hostile requests each get a clear 4xx with a message, nothing
// is stored, and the server goes on serving others: oversized bodies (413 before they are kept),
// malformed JSON, duplicate keys, wrong variable types, unknown ids, bad query parameters, a
// multipart without a file, a BPMN file with errors, path traversal, a client that sends its
// headers slowly, more connections than the limit; SIGTERM finishes what is in flight; kill -9
// under load loses no acknowledged operation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { tempStore, addUser, serve, auth, call, deploy, cli, ROOT } from "./harness.mjs";

const USER = "admin", PASS = "admin-password-1";
let store, srv, H;

before(async () => {
  store = tempStore();
  addUser(store.db, USER, PASS, ["--admin"]);
  srv = await serve(store.db, ["--idle-timeout", "2"]);
  H = auth(USER, PASS);
  assert.equal((await deploy(srv.base, [ROOT + "/samples/business-card-order.bpmn"], H)).status, 200);
});

after(async () => {
  if (srv) await srv.stop();
  store.remove();
});

async function instanceCount() {
  const r = await call(srv.base, "GET", "/process-instance/count", { headers: H });
  return r.json.count;
}

test("each malformed request is a 4xx with a message and stores nothing", async () => {
  const before = await instanceCount();
  const start = "/process-definition/key/business-card-order/start";
  const cases = [
    [400, "POST", start, { raw: true, body: "{not json", headers: { ...H, "Content-Type": "application/json" } }, /not valid JSON/],
    [400, "POST", start, { raw: true, body: '{"businessKey":"a","businessKey":"b"}', headers: { ...H, "Content-Type": "application/json" } }, /twice/],
    [400, "POST", start, { body: { variables: { circulation: { value: "many", type: "Integer" } } }, headers: H }, /circulation.*Integer/],
    [400, "POST", start, { body: { variables: { when: { value: "yesterday", type: "Date" } } }, headers: H }, /Date/],
    [400, "POST", start, { body: { variables: { blob: { value: "AAAA", type: "Bytes" } } }, headers: H }, /supports/],
    [404, "POST", "/process-definition/key/nope/start", { body: {}, headers: H }, /nope/],
    [404, "GET", "/process-instance/999999", { headers: H }, /999999/],
    [404, "GET", "/task/999999", { headers: H }, /./],
    [400, "GET", "/process-instance?maxResults=lots", { headers: H }, /maxResults/],
    [404, "GET", "/../../etc/passwd", { headers: H }, /./],
    [404, "GET", "/%2e%2e/%2e%2e/etc/passwd", { headers: H }, /./],
    [405, "DELETE", "/version", { headers: H }, /not allowed/],
  ];
  for (const [status, method, path, opts, message] of cases) {
    const r = await call(srv.base, method, path, opts);
    assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
    assert.match(r.json?.message ?? "", message, `${method} ${path}: ${r.text}`);
    assert.equal(typeof r.json.type, "string");
  }
  // The sample's start form requires fields: an empty start is refused, naming them.
  const form = await call(srv.base, "POST", start, { body: {}, headers: H });
  assert.equal(form.status, 400);
  assert.match(form.json.message, /required/);
  assert.equal(await instanceCount(), before);
});

test("deployments without a file or with errors are refused with the diagnostics", async () => {
  const none = new FormData();
  none.append("deployment-name", "empty");
  let r = await call(srv.base, "POST", "/deployment/create", { body: none, headers: H });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /no file part/);
  r = await call(srv.base, "POST", "/deployment/create", { raw: true, body: "just text", headers: { ...H, "Content-Type": "text/plain" } });
  assert.equal(r.status, 400);
  r = await deploy(srv.base, [{ name: "broken.bpmn", xml: `<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <process id="broken" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f" sourceRef="s" targetRef="missing"/>
  </process>
</definitions>` }], H);
  assert.equal(r.status, 400);
  assert.match(r.json.message, /broken\.bpmn:5: error: f:/);
  const defs = await call(srv.base, "GET", "/process-definition?key=broken", { headers: H });
  assert.deepEqual(defs.json, []);
});

test("a body over the limit is refused with 413 and the server serves on", async () => {
  const big = "x".repeat(17 * 1024 * 1024);
  const r = await call(srv.base, "POST", "/process-definition/key/business-card-order/start", {
    raw: true, body: big, headers: { ...H, "Content-Type": "application/json" },
  });
  assert.equal(r.status, 413);
  assert.match(r.json.message, /over the limit/);
  assert.equal((await call(srv.base, "GET", "/version")).status, 200);
});

function rawSocket(server = srv) {
  const [, port] = /:(\d+)$/.exec(server.url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), "127.0.0.1", () => resolve(s));
    s.on("error", reject);
  });
}

test("a client sending its headers slowly is cut off, and others are served meanwhile", async () => {
  const slow = await rawSocket();
  slow.write("GET /engine-rest/version HTTP/1.1\r\nHost: x\r\n");
  const closed = new Promise((resolve) => slow.on("close", resolve));
  const t0 = Date.now();
  assert.equal((await call(srv.base, "GET", "/version")).status, 200);
  await closed; // the idle timeout is 2 s here
  const took = Date.now() - t0;
  assert.ok(took >= 1500 && took < 10000, `closed after ${took} ms`);
});

test("connections past the limit are refused while the limit lasts, then served again", async () => {
  // A server of its own whose idle timeout (30 s) cannot close the held connections meanwhile.
  const limited = await serve(store.db, ["--max-connections", "16"]);
  try {
    const held = [];
    for (let i = 0; i < 16; i++) held.push(await rawSocket(limited));
    await new Promise((r) => setTimeout(r, 300));
    let refused = false;
    try {
      const r = await fetch(limited.base + "/version", { signal: AbortSignal.timeout(1500) });
      refused = r.status >= 500;
    } catch {
      refused = true;
    }
    assert.ok(refused, "the 17th connection is not served");
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await call(limited.base, "GET", "/version")).status, 200);
  } finally {
    await limited.stop();
  }
});

test("SIGTERM lets a request in flight finish, then exits 0; kill -9 under load loses no acknowledged start", async () => {
  const s2 = tempStore();
  addUser(s2.db, USER, PASS, ["--admin"]);
  let server = await serve(s2.db);
  assert.equal((await deploy(server.base, [{ name: "w.bpmn", xml: `<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <process id="w" isExecutable="true"><startEvent id="s"/>
  <sequenceFlow id="f" sourceRef="s" targetRef="u"/><userTask id="u"/></process></definitions>` }], H)).status, 200);
  // A long poll is in flight when SIGTERM comes: it is answered, and the server exits 0.
  const poll = call(server.base, "POST", "/external-task/fetchAndLock", {
    headers: H, body: { workerId: "w", maxTasks: 1, asyncResponseTimeout: 20000, topics: [{ topicName: "t", lockDuration: 1000 }] },
  });
  await new Promise((r) => setTimeout(r, 200));
  const code = server.stop("SIGTERM");
  const answered = await poll;
  assert.equal(answered.status, 200);
  assert.equal(await code, 0);

  server = await serve(s2.db);
  const acked = new Set();
  let stop = false;
  const worker = async (k) => {
    for (let i = 0; !stop && i < 1000; i++) {
      try {
        const r = await call(server.base, "POST", "/process-definition/key/w/start", { body: { businessKey: `k${k}-${i}` }, headers: H });
        if (r.status === 200) acked.add(r.json.id);
      } catch {
        return; // the server is gone
      }
    }
  };
  const workers = Array.from({ length: 8 }, (_, k) => worker(k));
  await new Promise((r) => setTimeout(r, 1500));
  server.child.kill("SIGKILL");
  stop = true;
  await Promise.all(workers);
  assert.ok(acked.size > 10, `only ${acked.size} starts were acknowledged`);
  const listed = cli(s2.db, ["instances", "--json"]);
  assert.equal(listed.code, 0, listed.err);
  const present = new Set(JSON.parse(listed.out).map((i) => i.instance));
  for (const id of acked) assert.ok(present.has(id), `acknowledged instance ${id} is in the store`);
  s2.remove();
});
