// external_client.test.mjs - Camunda's own worker client, camunda-external-task-client-js 3.x,
// unchanged against bpmnrt's server: workers subscribe with Basic credentials, complete with
// variables that a gateway reads, report failures with retries until an incident, and throw
// BPMN errors that an error boundary event catches.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, BasicAuthInterceptor, Variables } from "camunda-external-task-client-js";
import { tempStore, addUser, serve, auth, call, deploy, until } from "./harness.mjs";

const ORDER = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:error id="CheckFailed" errorCode="CHECK_FAILED"/>
  <bpmn:process id="order" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <bpmn:serviceTask id="check" name="Check the order" camunda:type="external" camunda:topic="check-order"/>
    <bpmn:boundaryEvent id="checkFailed" attachedToRef="check">
      <bpmn:errorEventDefinition errorRef="CheckFailed"/>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="checkFailed" targetRef="handleError"/>
    <bpmn:userTask id="handleError" name="Handle the failed check"/>
    <bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="approved"/>
    <bpmn:exclusiveGateway id="approved" default="toReview"/>
    <bpmn:sequenceFlow id="toShip" sourceRef="approved" targetRef="ship">
      <bpmn:conditionExpression>\${approved}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="toReview" sourceRef="approved" targetRef="review"/>
    <bpmn:serviceTask id="ship" name="Ship" camunda:type="external" camunda:topic="ship-order"/>
    <bpmn:sequenceFlow id="f4" sourceRef="ship" targetRef="done"/>
    <bpmn:endEvent id="done"/>
    <bpmn:userTask id="review" name="Review the order"/>
  </bpmn:process>
  <bpmn:process id="flaky" isExecutable="true">
    <bpmn:startEvent id="s2"/>
    <bpmn:sequenceFlow id="g1" sourceRef="s2" targetRef="call"/>
    <bpmn:serviceTask id="call" name="Call the partner" camunda:type="external" camunda:topic="partner"/>
    <bpmn:sequenceFlow id="g2" sourceRef="call" targetRef="e2"/>
    <bpmn:endEvent id="e2"/>
  </bpmn:process>
</bpmn:definitions>`;

const USER = "worker", PASS = "worker-password-1";
let store, srv, H;

before(async () => {
  store = tempStore();
  addUser(store.db, USER, PASS, ["--admin"]);
  srv = await serve(store.db);
  H = auth(USER, PASS);
  const d = await deploy(srv.base, [{ name: "order.bpmn", xml: ORDER }], H);
  assert.equal(d.status, 200, d.text);
});

after(async () => {
  if (srv) assert.equal(await srv.stop(), 0);
  store.remove();
});

async function start(key, vars, businessKey) {
  const variables = {};
  for (const [k, v] of Object.entries(vars)) variables[k] = { value: v, type: typeof v === "number" ? "Integer" : "String" };
  const r = await call(srv.base, "POST", `/process-definition/key/${key}/start`, { body: { variables, businessKey }, headers: H });
  assert.equal(r.status, 200, r.text);
  return r.json.id;
}

// A stopped client may still have one long poll in flight (asyncResponseTimeout): wait it out,
// so that it cannot lock a job of the next test.
async function stopClient(c) {
  c.stop();
  await new Promise((r) => setTimeout(r, 2300));
}

function client() {
  return new Client({
    baseUrl: srv.base,
    workerId: "node-worker",
    asyncResponseTimeout: 2000,
    interval: 50,
    interceptors: new BasicAuthInterceptor({ username: USER, password: PASS }),
  });
}

test("workers complete with variables that the gateway reads, and throw BPMN errors", async () => {
  const small = await start("order", { amount: 50 }, "o-1");
  const large = await start("order", { amount: 5000 }, "o-2");
  const broken = await start("order", { amount: -1 }, "o-3");
  const seen = [];
  const c = client();
  c.subscribe("check-order", async ({ task, taskService }) => {
    const amount = task.variables.get("amount");
    seen.push([task.processInstanceId, amount, task.businessKey]);
    if (amount < 0) return taskService.handleBpmnError(task, "CHECK_FAILED", "negative amount");
    const out = new Variables();
    out.set("approved", amount <= 1000);
    out.set("checkedBy", "node");
    await taskService.complete(task, out);
  });
  c.subscribe("ship-order", async ({ task, taskService }) => taskService.complete(task));
  try {
    // The small order is shipped and ends; the large one waits for review; the broken one
    // took the error path.
    await until("all three orders to move on", async () => {
      const r = await call(srv.base, "GET", "/history/process-instance?processInstanceId=" + small, { headers: H });
      const open = await call(srv.base, "GET", "/task", { headers: H });
      return r.status === 200 && r.json.length === 1 && r.json[0].state === "COMPLETED" &&
        open.json.length === 2 ? open : null;
    });
  } finally {
    await stopClient(c);
  }
  const tasks = (await call(srv.base, "GET", "/task", { headers: H })).json;
  const byInstance = Object.fromEntries(tasks.map((t) => [t.processInstanceId, t.taskDefinitionKey]));
  assert.equal(byInstance[large], "review");
  assert.equal(byInstance[broken], "handleError");
  assert.equal(byInstance[small], undefined);
  assert.deepEqual(seen.map((s) => s[1]).sort((a, b) => a - b), [-1, 50, 5000]);
  assert.ok(seen.some((s) => s[2] === "o-2"), "the business key reaches the worker");
  const vars = await call(srv.base, "GET", `/process-instance/${large}/variables`, { headers: H });
  assert.deepEqual(vars.json.approved, { value: false, type: "Boolean", valueInfo: {} });
  assert.equal(vars.json.checkedBy.value, "node");
  const none = await call(srv.base, "GET", "/external-task", { headers: H });
  assert.deepEqual(none.json, [], "no job is left");
});

test("failures with retries end in an incident when the retries run out", async () => {
  const id = await start("flaky", {}, "f-1");
  let attempts = 0;
  const c = client();
  c.subscribe("partner", async ({ task, taskService }) => {
    attempts++;
    await taskService.handleFailure(task, {
      errorMessage: "partner unreachable",
      errorDetails: "attempt " + attempts,
      retries: 2 - attempts,
      retryTimeout: 100,
    });
  });
  try {
    await until("the incident", async () => {
      const r = await call(srv.base, "GET", "/incident?processInstanceId=" + id, { headers: H });
      return r.json && r.json.length === 1 ? r : null;
    });
  } finally {
    await stopClient(c);
  }
  assert.equal(attempts, 2);
  const inc = (await call(srv.base, "GET", "/incident?processInstanceId=" + id, { headers: H })).json[0];
  assert.equal(inc.activityId, "call");
  assert.match(inc.incidentMessage, /partner unreachable/);
  const jobs = (await call(srv.base, "GET", "/external-task?processInstanceId=" + id, { headers: H })).json;
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0].retries, 0);
  assert.equal(jobs[0].errorMessage, "partner unreachable");
});

test("a long poll answers as soon as a job appears, and a wrong worker is refused", async () => {
  const t0 = Date.now();
  const poll = call(srv.base, "POST", "/external-task/fetchAndLock", {
    headers: H,
    body: { workerId: "w1", maxTasks: 1, asyncResponseTimeout: 10000, topics: [{ topicName: "ship-order", lockDuration: 60000 }] },
  });
  await new Promise((r) => setTimeout(r, 300));
  await start("order", { amount: 1 }, "o-4");
  // check-order is fetched by nobody: complete it by hand so that ship-order appears.
  const locked = await call(srv.base, "POST", "/external-task/fetchAndLock", {
    headers: H, body: { workerId: "w0", maxTasks: 1, topics: [{ topicName: "check-order", lockDuration: 60000 }] },
  });
  assert.equal(locked.json.length, 1);
  const done = await call(srv.base, "POST", `/external-task/${locked.json[0].id}/complete`, {
    headers: H, body: { workerId: "w0", variables: { approved: { value: true, type: "Boolean" } } },
  });
  assert.equal(done.status, 204, done.text);
  const got = await poll;
  const waited = Date.now() - t0;
  assert.equal(got.status, 200);
  assert.equal(got.json.length, 1);
  assert.equal(got.json[0].topicName, "ship-order");
  assert.ok(waited < 5000, `answered after ${waited} ms, not at the timeout`);
  const wrong = await call(srv.base, "POST", `/external-task/${got.json[0].id}/complete`, {
    headers: H, body: { workerId: "intruder" },
  });
  assert.equal(wrong.status, 400);
  assert.match(wrong.json.message, /locked by worker 'w1'/);
  const still = await call(srv.base, "GET", `/external-task/${got.json[0].id}`, { headers: H });
  assert.equal(still.json.workerId, "w1");
});
