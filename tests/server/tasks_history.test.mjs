// The task list, claim and complete flow of /engine-rest/task and the history endpoints, against
// a real `bpmnrt serve --http`: which tasks are open, who holds them, what variables come back,
// what a refused action answers (and that it changes nothing), and what history says after.
// Run: BPMNRT_BIN=build/bpmnrt node --test tests/server/tasks_history.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = process.env.BPMNRT_BIN;
const SAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'samples');
const dirs = [];
const servers = [];

function tmp() {
  const d = mkdtempSync(join(tmpdir(), 'bpmnrt-tasks-'));
  dirs.push(d);
  return join(d, 'db');
}

// Starts `bpmnrt --db DB serve --http 127.0.0.1:0` and resolves with its base URL, read from
// "serving HTTP on 127.0.0.1:PORT" on stderr; fails after 10 s.
function serve(db, noAuth) {
  const args = ['--db', db, 'serve', '--http', '127.0.0.1:0'];
  if (noAuth) args.push('--no-auth');
  const child = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  servers.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no port within 10 s: ${err}`)), 10000);
    child.stderr.on('data', (chunk) => {
      err += chunk;
      const m = /serving HTTP on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}/engine-rest`);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bpmnrt serve exited with ${code}: ${err}`));
    });
  });
}

function cli(db, args, input) {
  const r = spawnSync(BIN, ['--db', db, ...args], { input: input ?? '', timeout: 20000 });
  assert.equal(r.status, 0, `bpmnrt ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
}

async function call(base, method, path, body, user) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (user) headers.Authorization = 'Basic ' + Buffer.from(`${user}:${user}-password`).toString('base64');
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function deploy(base, file) {
  const form = new FormData();
  form.append('deployment-name', file);
  form.append('data', new Blob([readFileSync(join(SAMPLES, file))]), file);
  const res = await fetch(base + '/deployment/create', {
    method: 'POST',
    body: form,
    signal: AbortSignal.timeout(10000),
  });
  assert.equal(res.status, 200, await res.text());
}

const typed = (value, type) => ({ value, type });
let base;

before(async () => {
  assert.ok(BIN, 'BPMNRT_BIN names the bpmnrt binary');
  base = await serve(tmp(), true);
  await deploy(base, 'incoming-lead.bpmn');
});

after(() => {
  for (const s of servers) if (s.exitCode === null) s.kill('SIGTERM');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(businessKey, variables = {}) {
  const r = await call(base, 'POST', '/process-definition/key/incoming-lead/start', {
    businessKey,
    variables,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.id;
}

async function openTasks(instance) {
  const r = await call(base, 'GET', `/task?processInstanceId=${instance}`);
  assert.equal(r.status, 200);
  return r.json;
}

test('a started instance has one open task, in the shape of a TaskDto', async () => {
  const pi = await start('lead-1', { source: typed('web', 'String') });
  const tasks = await openTasks(pi);
  assert.equal(tasks.length, 1);
  const t = tasks[0];
  assert.equal(t.name, 'Check the request');
  assert.equal(t.taskDefinitionKey, 'CheckRequest');
  assert.equal(t.assignee, null);
  assert.equal(t.processInstanceId, pi);
  assert.equal(t.processDefinitionId, 'incoming-lead:1');
  assert.equal(t.suspended, false);
  assert.equal(t.owner, null);
  assert.equal(t.delegationState, null);
  assert.equal(t.tenantId, null);
  assert.match(t.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  assert.match(t.due, /\+0000$/); // camunda:dueDate="PT1H"
  assert.deepEqual((await call(base, 'GET', `/task/${t.id}`)).json, t);

  const byKey = await call(base, 'GET', '/task?processInstanceBusinessKey=lead-1');
  assert.deepEqual(byKey.json.map((x) => x.id), [t.id]);
  const count = await call(base, 'GET', `/task/count?candidateGroup=sales&processInstanceId=${pi}`);
  assert.deepEqual(count.json, { count: 1 });
  const none = await call(base, 'POST', '/task/count', { candidateGroup: 'finance', processInstanceId: pi });
  assert.deepEqual(none.json, { count: 0 });
  const vars = await call(base, 'GET', `/task/${t.id}/variables`);
  assert.deepEqual(vars.json, { source: { value: 'web', type: 'String', valueInfo: {} } });
});

test('claim, a refused claim, and complete with the variables returned', async () => {
  const pi = await start('lead-2');
  const [t] = await openTasks(pi);
  let r = await call(base, 'POST', `/task/${t.id}/claim`, { userId: 'demo' });
  assert.equal(r.status, 204);
  assert.equal((await call(base, 'GET', `/task/${t.id}`)).json.assignee, 'demo');
  r = await call(base, 'GET', `/task?assignee=demo&processInstanceId=${pi}`);
  assert.deepEqual(r.json.map((x) => x.id), [t.id]);
  r = await call(base, 'POST', '/task', { processInstanceId: pi, unassigned: true });
  assert.deepEqual(r.json, []);

  // Someone else's task stays theirs.
  r = await call(base, 'POST', `/task/${t.id}/claim`, { userId: 'mary' });
  assert.equal(r.status, 500);
  assert.equal(r.json.type, 'TaskAlreadyClaimedException');
  assert.equal((await call(base, 'GET', `/task/${t.id}`)).json.assignee, 'demo');

  r = await call(base, 'POST', `/task/${t.id}/complete`, {
    variables: { valid: typed(true, 'Boolean') },
    withVariablesInReturn: true,
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.valid, { value: true, type: 'Boolean', valueInfo: {} });
  r = await call(base, 'GET', `/task/${t.id}`);
  assert.equal(r.status, 404);
  assert.equal(r.json.type, 'InvalidRequestException');

  const next = await openTasks(pi);
  assert.deepEqual(next.map((x) => x.taskDefinitionKey), ['CallLead']);
  r = await call(base, 'GET', `/task/${next[0].id}/form-variables?variableNames=valid`);
  assert.deepEqual(r.json, { valid: { value: true, type: 'Boolean', valueInfo: {} } });
  // The assignee endpoint hands a task over; unclaim gives it back to nobody.
  assert.equal((await call(base, 'POST', `/task/${next[0].id}/assignee`, { userId: 'ann' })).status, 204);
  assert.equal((await call(base, 'POST', `/task/${next[0].id}/assignee`, { userId: 'bob' })).status, 204);
  assert.equal((await call(base, 'GET', `/task/${next[0].id}`)).json.assignee, 'bob');
  assert.equal((await call(base, 'POST', `/task/${next[0].id}/unclaim`)).status, 204);
  assert.equal((await call(base, 'GET', `/task/${next[0].id}`)).json.assignee, null);
  r = await call(base, 'POST', `/task/${next[0].id}/complete`, {});
  assert.equal(r.status, 204);
});

test('bad query arguments are 400 with Camunda error bodies', async () => {
  let r = await call(base, 'GET', '/task?sortBy=nonsense&sortOrder=asc');
  assert.equal(r.status, 400);
  assert.deepEqual(Object.keys(r.json).sort(), ['message', 'type']);
  r = await call(base, 'GET', '/task?sortBy=created');
  assert.equal(r.status, 400);
  r = await call(base, 'GET', '/task?dueBefore=tomorrow');
  assert.equal(r.status, 400);
  assert.equal(r.json.type, 'InvalidRequestException');
  r = await call(base, 'POST', '/task/99999/complete', {});
  assert.equal(r.status, 404);
  r = await call(base, 'GET', '/history/process-instance?finished=maybe');
  assert.equal(r.status, 400);
});

test('the task list sorts and pages', async () => {
  const a = await start('sort-a');
  const b = await start('sort-b');
  const asc = await call(base, 'GET', '/task?sortBy=id&sortOrder=asc');
  const desc = await call(base, 'POST', '/task', { sorting: [{ sortBy: 'id', sortOrder: 'desc' }] });
  const ids = asc.json.map((t) => Number(t.id));
  assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
  assert.deepEqual(desc.json.map((t) => Number(t.id)), [...ids].reverse());
  const page = await call(base, 'GET', '/task?sortBy=id&sortOrder=asc&firstResult=1&maxResults=1');
  assert.deepEqual(page.json.map((t) => t.id), [asc.json[1].id]);
  assert.ok(asc.json.some((t) => t.processInstanceId === a));
  assert.ok(asc.json.some((t) => t.processInstanceId === b));
});

test('history after a flow ran: instances, activities, tasks, variables', async () => {
  const pi = await start('lead-h', { source: typed('phone', 'String') });
  const [t] = await openTasks(pi);
  assert.equal((await call(base, 'POST', `/task/${t.id}/claim`, { userId: 'demo' })).status, 204);
  // valid=false ends the instance at "Request rejected".
  assert.equal(
    (await call(base, 'POST', `/task/${t.id}/complete`, { variables: { valid: typed(false, 'Boolean') } })).status,
    204,
  );

  let r = await call(base, 'GET', `/history/process-instance?processInstanceId=${pi}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.length, 1);
  const h = r.json[0];
  assert.equal(h.state, 'COMPLETED');
  assert.equal(h.businessKey, 'lead-h');
  assert.equal(h.processDefinitionId, 'incoming-lead:1');
  assert.equal(h.processDefinitionKey, 'incoming-lead');
  assert.match(h.startTime, /\+0000$/);
  assert.match(h.endTime, /\+0000$/);
  assert.equal(typeof h.durationInMillis, 'number');
  assert.ok(h.durationInMillis >= 0);
  r = await call(base, 'GET', '/history/process-instance?finished=true&businessKey=lead-h');
  assert.deepEqual(r.json.map((x) => x.id), [pi]);
  r = await call(base, 'GET', '/history/process-instance?unfinished=true&businessKey=lead-h');
  assert.deepEqual(r.json, []);
  r = await call(base, 'GET', '/history/process-instance/count?processDefinitionKey=incoming-lead');
  assert.ok(r.json.count >= 5);
  r = await call(base, 'GET', `/history/process-instance?startedBefore=${encodeURIComponent('2000-01-01T00:00:00.000+0000')}`);
  assert.deepEqual(r.json, []);

  r = await call(base, 'GET', `/history/activity-instance?processInstanceId=${pi}`);
  assert.deepEqual(
    r.json.map((x) => [x.activityId, x.activityType]),
    [
      ['LeadReceived', 'startEvent'],
      ['CheckRequest', 'userTask'],
      ['RequestValid', 'exclusiveGateway'],
      ['Rejected', 'endEvent'],
    ],
  );
  const check = r.json[1];
  assert.equal(check.taskId, t.id);
  assert.equal(check.assignee, 'demo');
  assert.equal(check.canceled, false);
  assert.notEqual(check.endTime, null);
  assert.equal(r.json[3].completeScope, true);
  r = await call(base, 'GET', `/history/activity-instance/count?processInstanceId=${pi}&activityType=userTask`);
  assert.deepEqual(r.json, { count: 1 });

  r = await call(base, 'GET', `/history/task?processInstanceId=${pi}`);
  assert.equal(r.json.length, 1);
  assert.equal(r.json[0].id, t.id);
  assert.equal(r.json[0].taskDefinitionKey, 'CheckRequest');
  assert.equal(r.json[0].assignee, 'demo');
  assert.equal(r.json[0].deleteReason, 'completed');
  assert.equal(typeof r.json[0].duration, 'number');
  r = await call(base, 'GET', `/history/task/count?taskAssignee=demo&processInstanceId=${pi}&finished=true`);
  assert.deepEqual(r.json, { count: 1 });
  r = await call(base, 'GET', `/history/task?processInstanceId=${pi}&unfinished=true`);
  assert.deepEqual(r.json, []);

  r = await call(base, 'GET', `/history/variable-instance?processInstanceId=${pi}&variableName=valid`);
  assert.equal(r.json.length, 1);
  assert.equal(r.json[0].name, 'valid');
  assert.equal(r.json[0].type, 'Boolean');
  assert.equal(r.json[0].value, false);
  assert.equal(r.json[0].processInstanceId, pi);
  r = await call(base, 'GET', `/history/variable-instance/count?processInstanceId=${pi}`);
  assert.deepEqual(r.json, { count: 2 }); // source and valid
});

test('with authentication: a task held by another user cannot be completed by a candidate', async (t) => {
  const help = spawnSync(BIN, ['--help'], { timeout: 10000 });
  if (!/user add/.test(help.stdout + help.stderr)) {
    t.skip('this bpmnrt has no `user` command');
    return;
  }
  const db = tmp();
  cli(db, ['deploy', join(SAMPLES, 'incoming-lead.bpmn')]);
  cli(db, ['user', 'add', 'alice', '--groups', 'sales'], 'alice-password\n');
  cli(db, ['user', 'add', 'bob', '--groups', 'sales'], 'bob-password\n');
  cli(db, ['start', 'incoming-lead', '--key', 'auth-1']);
  const url = await serve(db, false);

  assert.equal((await call(url, 'GET', '/task')).status, 401);
  let r = await call(url, 'GET', '/task', undefined, 'bob');
  assert.equal(r.status, 200);
  assert.equal(r.json.length, 1); // a candidate sees the task without any grant
  const id = r.json[0].id;
  assert.equal((await call(url, 'POST', `/task/${id}/claim`, { userId: 'alice' }, 'alice')).status, 204);
  // bob may neither claim for alice nor complete, unclaim or take alice's task
  r = await call(url, 'POST', `/task/${id}/complete`, { variables: { valid: typed(true, 'Boolean') } }, 'bob');
  assert.equal(r.status, 403);
  assert.equal(r.json.type, 'AuthorizationException');
  assert.equal((await call(url, 'POST', `/task/${id}/unclaim`, undefined, 'bob')).status, 403);
  assert.equal((await call(url, 'POST', `/task/${id}/assignee`, { userId: 'bob' }, 'bob')).status, 403);
  r = await call(url, 'POST', `/task/${id}/claim`, { userId: 'bob' }, 'bob');
  assert.ok(r.status >= 400, `claim of a held task: ${r.status}`);
  // nothing changed
  r = await call(url, 'GET', `/task/${id}`, undefined, 'alice');
  assert.equal(r.json.assignee, 'alice');
  r = await call(url, 'GET', `/history/task?processInstanceId=${r.json.processInstanceId}&finished=true`, undefined, 'alice');
  assert.deepEqual(r.json, []); // alice has no read grant: history shows nothing of the process
  cli(db, ['grant', 'sales', 'read', 'incoming-lead']);
  r = await call(url, 'GET', '/history/task?finished=true', undefined, 'alice');
  assert.deepEqual(r.json, []); // still not completed
  assert.equal((await call(url, 'GET', '/history/task', undefined, 'alice')).json.length, 1);
  // alice completes
  r = await call(url, 'POST', `/task/${id}/complete`, { variables: { valid: typed(false, 'Boolean') } }, 'alice');
  assert.equal(r.status, 204);
  r = await call(url, 'GET', '/history/process-instance', undefined, 'alice');
  assert.deepEqual(r.json.map((x) => x.state), ['COMPLETED']);
});
