// messages_tls.test.mjs - message correlation and signals through /engine-rest/message and
// /engine-rest/signal (by business key and by correlation key, starting instances by message,
// a message nobody waits for refused), and the server over HTTPS with --tls-cert/--tls-key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { tempStore, addUser, serve, auth, call, deploy } from "./harness.mjs";

const FLOW = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <message id="Paid" name="payment-received"/>
  <message id="Order" name="order-placed"/>
  <signal id="Stop" name="stop-all"/>
  <process id="invoice" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
    <intermediateCatchEvent id="wait" name="Wait for the payment"><messageEventDefinition messageRef="Paid"/></intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="wait" targetRef="book"/>
    <userTask id="book" name="Book the payment"/>
    <boundaryEvent id="stopped" attachedToRef="book"><signalEventDefinition signalRef="Stop"/></boundaryEvent>
    <sequenceFlow id="f3" sourceRef="stopped" targetRef="end"/>
    <endEvent id="end"/>
  </process>
  <process id="order" isExecutable="true">
    <startEvent id="os"><messageEventDefinition messageRef="Order"/></startEvent>
    <sequenceFlow id="g1" sourceRef="os" targetRef="pack"/>
    <userTask id="pack" name="Pack the order"/>
  </process>
</definitions>`;

let store, srv;
const H = auth("ops", "ops-password-1");

before(async () => {
  store = tempStore();
  addUser(store.db, "ops", "ops-password-1", ["--admin"]);
  srv = await serve(store.db);
  assert.equal((await deploy(srv.base, [{ name: "flow.bpmn", xml: FLOW }], H)).status, 200);
});

after(async () => {
  if (srv) await srv.stop();
  store.remove();
});

const start = async (businessKey) =>
  (await call(srv.base, "POST", "/process-definition/key/invoice/start", { headers: H, body: { businessKey } })).json.id;
const waitingAt = async (id) =>
  (await call(srv.base, "GET", `/task?processInstanceId=${id}`, { headers: H })).json.map((t) => t.taskDefinitionKey);

test("a message reaches the instance its business key names, with its variables", async () => {
  const a = await start("INV-1"), b = await start("INV-2");
  const r = await call(srv.base, "POST", "/message", {
    headers: H,
    body: { messageName: "payment-received", businessKey: "INV-2", processVariables: { amount: { value: 120.5, type: "Double" } }, resultEnabled: true },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json[0].execution.processInstanceId, b);
  assert.deepEqual(await waitingAt(b), ["book"]);
  assert.deepEqual(await waitingAt(a), []);
  const vars = await call(srv.base, "GET", `/process-instance/${b}/variables/amount`, { headers: H });
  assert.equal(vars.json.value, 120.5);
  // nobody else waits with that key: refused, nothing changes
  const again = await call(srv.base, "POST", "/message", { headers: H, body: { messageName: "payment-received", businessKey: "INV-2" } });
  assert.equal(again.status, 400);
  assert.match(again.json.message, /payment-received/);
  assert.deepEqual(await waitingAt(a), []);
});

test("a message starts an instance; a signal reaches every waiting boundary event", async () => {
  const r = await call(srv.base, "POST", "/message", { headers: H, body: { messageName: "order-placed", businessKey: "ORD-7" } });
  assert.equal(r.status, 204, r.text);
  const orders = await call(srv.base, "GET", "/process-instance?businessKey=ORD-7", { headers: H });
  assert.equal(orders.json.length, 1);
  assert.equal(orders.json[0].definitionKey, "order");
  const c = await start("INV-3");
  await call(srv.base, "POST", "/message", { headers: H, body: { messageName: "payment-received", businessKey: "INV-3" } });
  assert.deepEqual(await waitingAt(c), ["book"]);
  const s = await call(srv.base, "POST", "/signal", { headers: H, body: { name: "stop-all" } });
  assert.equal(s.status, 204, s.text);
  const h = await call(srv.base, "GET", `/history/process-instance?processInstanceId=${c}`, { headers: H });
  assert.equal(h.json[0].state, "COMPLETED");
  const bad = await call(srv.base, "POST", "/signal", { headers: H, body: {} });
  assert.equal(bad.status, 400);
});

test("HTTPS with --tls-cert and --tls-key", async () => {
  const dir = store.dir;
  const key = join(dir, "key.pem"), cert = join(dir, "cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore", timeout: 30000 });
  const tls = await serve(store.db, ["--tls-cert", cert, "--tls-key", key]);
  try {
    assert.match(tls.log(), /serving HTTPS on/);
    const body = await new Promise((resolve, reject) => {
      const req = https.get(tls.url.replace("http:", "https:") + "/engine-rest/process-definition?key=invoice",
        { ca: execFileSync("cat", [cert]), headers: H, timeout: 10000 }, (res) => {
          let data = "";
          res.on("data", (d) => (data += d));
          res.on("end", () => resolve({ status: res.statusCode, data }));
        });
      req.on("error", reject);
    });
    assert.equal(body.status, 200);
    assert.equal(JSON.parse(body.data)[0].key, "invoice");
    // plain HTTP on the HTTPS port is not served
    const plain = await fetch(tls.url + "/engine-rest/version").then((r) => r.status).catch(() => "refused");
    assert.notEqual(plain, 200);
  } finally {
    await tls.stop();
  }
});
