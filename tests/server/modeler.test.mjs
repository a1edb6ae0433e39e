// modeler.test.mjs - the calls Camunda Modeler makes when an analyst presses "Deploy" and then
// "Start" with the endpoint set to this server (Modeler 5: connection check, multipart deploy
// with deployment-name, deployment-source and deploy-changed-only, then start by the id of the
// deployed definition), with Basic credentials as the Modeler sends them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { tempStore, addUser, serve, auth, call, ROOT } from "./harness.mjs";

let store, srv;
const H = auth("analyst", "analyst-password-1");

before(async () => {
  store = tempStore();
  addUser(store.db, "analyst", "analyst-password-1", ["--admin"]);
  srv = await serve(store.db);
});

after(async () => {
  if (srv) assert.equal(await srv.stop(), 0);
  store.remove();
});

function modelerDeploy(file) {
  const form = new FormData();
  form.append("deployment-name", "incoming-lead");
  form.append("deployment-source", "Camunda Modeler");
  form.append("deploy-changed-only", "true");
  form.append("incoming-lead.bpmn", new Blob([readFileSync(file)], { type: "application/octet-stream" }), "incoming-lead.bpmn");
  return call(srv.base, "POST", "/deployment/create", { body: form, headers: H });
}

test("connection check, deploy, deploy unchanged, start from the Modeler", async () => {
  const check = await call(srv.base, "GET", "/deployment?maxResults=0", { headers: H });
  assert.equal(check.status, 200);
  assert.deepEqual(check.json, []);
  const version = await call(srv.base, "GET", "/version");
  assert.equal(version.status, 200);
  assert.match(version.json.version, /^7\./);
  const bad = await call(srv.base, "GET", "/deployment?maxResults=0", { headers: auth("analyst", "wrong-password") });
  assert.equal(bad.status, 401, "the Modeler reports wrong credentials");

  const file = ROOT + "/samples/incoming-lead.bpmn";
  const first = await modelerDeploy(file);
  assert.equal(first.status, 200, first.text);
  const defs = Object.values(first.json.deployedProcessDefinitions);
  assert.equal(defs.length, 1);
  assert.equal(defs[0].key, "incoming-lead");
  assert.equal(defs[0].version, 1);
  assert.equal(first.json.name, "incoming-lead");
  assert.equal(first.json.source, "Camunda Modeler");
  // Deploying the same file again makes no new version.
  const again = await modelerDeploy(file);
  assert.equal(again.status, 200);
  assert.equal(Object.values(again.json.deployedProcessDefinitions)[0].version, 1);
  const list = await call(srv.base, "GET", "/process-definition?key=incoming-lead", { headers: H });
  assert.equal(list.json.length, 1);

  const started = await call(srv.base, "POST", `/process-definition/${encodeURIComponent(defs[0].id)}/start`, {
    headers: H,
    body: { businessKey: "lead-42", variables: { clientName: { value: "ACME", type: "String" }, phone: { value: "+1 555 0100", type: "String" } } },
  });
  assert.equal(started.status, 200, started.text);
  assert.equal(started.json.definitionId, defs[0].id);
  assert.equal(started.json.businessKey, "lead-42");
  assert.equal(started.json.ended, false);
  const inst = await call(srv.base, "GET", `/process-instance?businessKey=lead-42`, { headers: H });
  assert.equal(inst.json.length, 1);
  assert.equal(inst.json[0].id, started.json.id);
});
