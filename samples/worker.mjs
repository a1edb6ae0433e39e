// worker.mjs - the contractor check as a real worker would run it: Camunda's own external-task
// client (camunda-external-task-client-js, unchanged) against `bpmnrt serve --http`. Two
// applications come in over the REST API; the worker looks each company up by its tax number
// (a made-up rule: numbers ending in 1 are on the unreliable list) and throws the BPMN error
// UNRELIABLE, which the process catches on its rejection path, or completes the check.
//   node samples/worker.mjs BASE_URL USER PASSWORD
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// The client is installed with the server's tests (./build.sh: npm ci in tests/server).
const { Client, BasicAuthInterceptor, Variables } = await import(
  pathToFileURL(join(root, "tests/server/node_modules/camunda-external-task-client-js/index.js")).href);

const [base, user, password] = process.argv.slice(2);
const headers = {
  "Content-Type": "application/json",
  Authorization: "Basic " + Buffer.from(`${user}:${password}`).toString("base64"),
};
const rest = async (method, path, body) => {
  const r = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
};
const say = (who, what) => console.log(`  ${"http".padEnd(11)} ${who.padEnd(28)} ${what}`);

const applications = [
  ["Northwind Traders", "7700000011"],
  ["Contoso Freight", "7700000024"],
];
const started = {};
for (const [company, tax] of applications) {
  const inst = await rest("POST", "/process-definition/key/contractor-registration/start", {
    businessKey: company,
    variables: { taxNumber: { value: tax, type: "String" }, companyName: { value: company, type: "String" } },
  });
  started[inst.id] = company;
  say(company, `POST .../contractor-registration/start -> instance ${inst.id}`);
}

const client = new Client({
  baseUrl: base, workerId: "tax-check-worker", asyncResponseTimeout: 1000, interval: 50,
  interceptors: new BasicAuthInterceptor({ username: user, password }),
});
let checked = 0;
const done = new Promise((resolve) => {
  client.subscribe("tax-check", async ({ task, taskService }) => {
    const tax = task.variables.get("taxNumber");
    if (!started[task.processInstanceId]) return; // not one of ours
    if (tax.endsWith("1")) {
      await taskService.handleBpmnError(task, "UNRELIABLE", "listed as unreliable");
      say(started[task.processInstanceId], `worker: ${tax} is unreliable -> bpmnError UNRELIABLE`);
    } else {
      const out = new Variables();
      out.set("taxChecked", true);
      await taskService.complete(task, out);
      say(started[task.processInstanceId], `worker: ${tax} checked -> complete`);
    }
    if (++checked === applications.length) resolve();
  });
});
const timeout = setTimeout(() => { console.error("worker: no tax-check job came within 20 s"); process.exit(1); }, 20000);
await done;
client.stop();
clearTimeout(timeout);
for (const id of Object.keys(started)) {
  const tasks = await rest("GET", `/task?processInstanceId=${id}`);
  say(started[id], "waits: " + (tasks.map((t) => t.name).join(", ") || "nothing"));
}
setTimeout(() => process.exit(0), 1200); // the client's last long poll is still open
