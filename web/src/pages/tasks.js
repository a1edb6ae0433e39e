// tasks.js - the tasklist: the user's tasks and those they may claim (GET /api/worklist),
// sorted by due date, overdue marked; a task's page with its form (from the diagram's
// camunda:formData, checked before sending; the server's refusal shown when it disagrees),
// the element's documentation, the instance's route map and history; claim, unclaim, complete.
import { h, put, link, table, when } from "../dom.js";
import { api, get, q, session } from "../api.js";
import { definitionXml, diagramBox } from "../diagram.js";
import { elementForm, renderFields, readFields } from "../forms.js";
import { routeMap, instanceHistory, timeline } from "./instance.js";
import { go, flash } from "../nav.js";

const overdue = (t) => t.due && Date.parse(t.due) < Date.now();

export async function tasksPage(el) {
  document.title = "bpmnrt - tasklist";
  const me = session().user;
  const tasks = await get("/api/worklist?maxResults=500");
  tasks.sort((a, b) => (a.due || "9999").localeCompare(b.due || "9999") || Number(a.id) - Number(b.id));
  put(el, 
    h("h1", null, "Tasklist"),
    tasks.length ? table(["Task", "Process", "Instance", "Assignee", "Due", "Created"], tasks.map((t) =>
      h("tr", { "data-task": t.id, "data-element": t.element, "data-process": t.process, class: overdue(t) ? "overdue" : null },
        h("td", null, link(`/task/${encodeURIComponent(t.id)}`, t.name || t.element)),
        h("td", null, t.process),
        h("td", null, link(`/instance/${encodeURIComponent(t.instance)}`, t.instance)),
        h("td", null, t.assignee ? (t.assignee === me ? "me" : t.assignee) : h("span", { class: "muted" }, "to claim")),
        h("td", { class: overdue(t) ? "overdue" : null }, when(t.due), overdue(t) ? " (overdue)" : ""),
        h("td", null, when(t.created)))), { id: "tasks" })
      : h("p", { class: "muted", id: "no-tasks" }, "Nothing to do."));
}

export async function taskPage(el, [id]) {
  const me = session().user;
  const task = await get(`/engine-rest/task/${q(id)}`);
  document.title = `bpmnrt - ${task.name || task.taskDefinitionKey}`;
  const [xml, values, hist] = await Promise.all([
    definitionXml(task.processDefinitionId),
    get(`/engine-rest/task/${q(id)}/form-variables`),
    instanceHistory(task.processInstanceId),
  ]);
  const { fields, doc } = elementForm(xml, task.taskDefinitionKey);
  const problems = h("ul", { class: "error", id: "form-problems" });
  const mine = task.assignee === me;
  const form = h("form", { class: "fields", id: "task-form" },
    renderFields(fields, values),
    problems,
    h("button", { class: "primary", type: "submit", id: "complete" }, "Complete"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = readFields(form, fields);
    problems.replaceChildren(...(r.problems || []).map((p) => h("li", { class: "checked" }, p)));
    if (r.problems) return;
    try {
      await api("POST", `/engine-rest/task/${q(id)}/complete`, { variables: r.variables });
      flash(`Completed: ${task.name || task.taskDefinitionKey}.`);
      go(`/instance/${encodeURIComponent(task.processInstanceId)}`);
    } catch (e) {
      problems.replaceChildren(h("li", { class: "refused" }, "The server refused: ", e.message));
    }
  });
  const claim = async (what) => {
    try {
      await api("POST", `/engine-rest/task/${q(id)}/${what}`, what === "claim" ? { userId: me } : {});
      go(`/task/${encodeURIComponent(id)}`);
    } catch (e) {
      flash(`Refused: ${e.message}`, true);
    }
  };
  const box = diagramBox();
  box.id = "diagram";
  put(el, 
    h("h1", null, task.name || task.taskDefinitionKey),
    h("p", null, link(`/instance/${encodeURIComponent(task.processInstanceId)}`, `instance ${task.processInstanceId}`),
      " · ", task.processDefinitionId,
      task.due ? h("span", { class: overdue(task) ? "overdue" : null }, ` · due ${when(task.due)}`) : null,
      " · ", task.assignee ? `assigned to ${task.assignee}` : "not claimed"),
    h("div", { class: "toolbar" },
      !task.assignee ? h("button", { id: "claim", onclick: () => claim("claim") }, "Claim") : null,
      mine ? h("button", { id: "unclaim", onclick: () => claim("unclaim") }, "Unclaim") : null),
    doc ? h("pre", { class: "doc", id: "documentation" }, doc) : null,
    h("h2", null, "Form"),
    form,
    h("h2", null, "Route map"),
    box,
    h("h2", null, "History"),
    timeline(hist.activities));
  await routeMap(box, hist.inst, hist.activities);
}
