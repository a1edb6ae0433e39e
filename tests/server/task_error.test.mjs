// task_error.test.mjs - POST /engine-rest/task/{id}/bpmnError: a user task ends in a BPMN
// error that its boundary event catches, with the variables set first; a user who may not
// complete the task is refused and nothing changes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { tempStore, addUser, serve, auth, call, deploy } from "./harness.mjs";

const FLOW = `<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <error id="Rej" errorCode="REJECTED"/>
  <process id="review" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="check"/>
    <userTask id="check" name="Check the offer" camunda:assignee="anna"/>
    <boundaryEvent id="rejected" attachedToRef="check"><errorEventDefinition errorRef="Rej"/></boundaryEvent>
    <sequenceFlow id="f1" sourceRef="rejected" targetRef="rework"/>
    <userTask id="rework" name="Rework the offer"/>
    <sequenceFlow id="f2" sourceRef="check" targetRef="e"/><endEvent id="e"/>
  </process>
</definitions>`;

let store, srv;
const ADMIN = auth("admin", "admin-password-1"), ANNA = auth("anna", "anna-password-1"), BORIS = auth("boris", "boris-password-1");

before(async () => {
  store = tempStore();
  addUser(store.db, "admin", "admin-password-1", ["--admin"]);
  addUser(store.db, "anna", "anna-password-1");
  addUser(store.db, "boris", "boris-password-1");
  srv = await serve(store.db);
  assert.equal((await deploy(srv.base, [{ name: "review.bpmn", xml: FLOW }], ADMIN)).status, 200);
});

after(async () => {
  if (srv) assert.equal(await srv.stop(), 0);
  store.remove();
});

test("a task's BPMN error is caught by its boundary event, by the one who may complete it", async () => {
  const inst = (await call(srv.base, "POST", "/process-definition/key/review/start", { headers: ADMIN, body: {} })).json.id;
  const task = (await call(srv.base, "GET", `/task?processInstanceId=${inst}`, { headers: ADMIN })).json[0];
  assert.equal(task.taskDefinitionKey, "check");
  const body = { errorCode: "REJECTED", errorMessage: "too expensive", variables: { reason: { value: "price", type: "String" } } };
  const refused = await call(srv.base, "POST", `/task/${task.id}/bpmnError`, { headers: BORIS, body });
  assert.ok(refused.status === 403 || refused.status === 404, refused.text);
  const noCode = await call(srv.base, "POST", `/task/${task.id}/bpmnError`, { headers: ANNA, body: {} });
  assert.equal(noCode.status, 400);
  const still = (await call(srv.base, "GET", `/task?processInstanceId=${inst}`, { headers: ADMIN })).json;
  assert.deepEqual(still.map((t) => t.taskDefinitionKey), ["check"]);
  const ok = await call(srv.base, "POST", `/task/${task.id}/bpmnError`, { headers: ANNA, body });
  assert.equal(ok.status, 204, ok.text);
  const now = (await call(srv.base, "GET", `/task?processInstanceId=${inst}`, { headers: ADMIN })).json;
  assert.deepEqual(now.map((t) => t.taskDefinitionKey), ["rework"]);
  const v = await call(srv.base, "GET", `/process-instance/${inst}/variables/reason`, { headers: ADMIN });
  assert.equal(v.json.value, "price");
});
