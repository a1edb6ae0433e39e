// instance.js - the route map of one instance: its diagram with the elements where it waits
// highlighted and the path already taken drawn differently, its variables, its history as a
// timeline (who did what, when), its incidents with a Retry button, parent and child instances
// as links (GET /api/instances/ID: the engine's show object), and the actions the server allows
// the user (cancel, suspend, resume, set a variable; a refusal is shown as the server gave it).
import { h, put, link, table, when, duration } from "../dom.js";
import { api, get, q } from "../api.js";
import { definitionXml, showDiagram, markRoute, diagramBox } from "../diagram.js";
import { go, flash } from "../nav.js";

// The route map alone, for the instance page and a task's page: resolves to {waiting, done}.
export async function routeMap(box, inst, activities) {
  const xml = await definitionXml(inst.processDefinitionId);
  const viewer = await showDiagram(box, xml, inst.processDefinitionKey);
  const marked = markRoute(viewer, activities);
  box.setAttribute("data-waiting", marked.waiting.join(" "));
  box.setAttribute("data-ready", "true");
  return marked;
}

export async function instanceHistory(id) {
  const [list, activities] = await Promise.all([
    get(`/engine-rest/history/process-instance?processInstanceId=${q(id)}`),
    get(`/engine-rest/history/activity-instance?processInstanceId=${q(id)}`),
  ]);
  if (!list.length) throw new Error(`There is no instance ${id}.`);
  // Same start time: the order they were recorded in (the number after the element's id).
  const seq = (a) => Number(String(a.id).split(":").pop()) || 0;
  activities.sort((a, b) => String(a.startTime).localeCompare(String(b.startTime)) || seq(a) - seq(b));
  return { inst: list[0], activities };
}

export function timeline(activities) {
  return h("ol", { class: "timeline", id: "timeline" }, activities.map((a) => h("li", { class: a.endTime ? "done" : "open" },
    h("span", { class: "muted" }, when(a.startTime)), " ",
    a.activityName || a.activityId, " ",
    h("span", { class: "muted" }, `(${a.activityType})`),
    a.assignee ? [" by ", a.assignee] : null,
    a.endTime ? h("span", { class: "muted" }, " · ", duration(a.durationInMillis)) : h("strong", null, " · waiting"))));
}

export async function instancePage(el, [id]) {
  document.title = `bpmnrt - instance ${id}`;
  const { inst, activities } = await instanceHistory(id);
  const running = !inst.endTime;
  const box = diagramBox();
  box.id = "diagram";
  const [vars, incidents, show] = await Promise.all([
    running ? get(`/engine-rest/process-instance/${q(id)}/variables`) : variablesFromHistory(id),
    running ? get(`/engine-rest/incident?processInstanceId=${q(id)}`) : [],
    get(`/api/instances/${q(id)}`).catch(() => null), // purged: the history alone
  ]);
  const parent = show?.parent || inst.superProcessInstanceId;
  const children = show?.children || [];
  put(el, 
    h("h1", null, link(`/process/${encodeURIComponent(inst.processDefinitionKey)}`, inst.processDefinitionName || inst.processDefinitionKey),
      " · instance ", id),
    h("p", null, h("span", { id: "state", "data-state": inst.state }, inst.state), " · started ", when(inst.startTime),
      inst.startUserId ? [" by ", inst.startUserId] : null,
      inst.endTime ? [" · ended ", when(inst.endTime)] : null,
      inst.businessKey ? [" · business key ", h("strong", null, inst.businessKey)] : null,
      parent ? [" · called by ", h("span", { id: "parent" }, link(`/instance/${encodeURIComponent(parent)}`, parent))] : null,
      children.length ? [" · calls ", h("span", { id: "children" }, children.map((c, i) =>
        [i ? ", " : null, link(`/instance/${encodeURIComponent(c)}`, c)]))] : null),
    running ? actions(inst) : null,
    box,
    incidents.length ? [h("h2", null, "Incidents"), table(["Element", "Message", "Since", ""], incidents.map((i) =>
      h("tr", { class: "error", "data-incident": i.activityId }, h("td", null, i.activityId), h("td", null, i.incidentMessage || ""),
        h("td", null, when(i.incidentTimestamp)),
        h("td", null, h("button", { class: "retry", onclick: () => retry(id) }, "Retry")))), { id: "incidents" })] : null,
    h("h2", null, "Variables"),
    Object.keys(vars).length ? table(["Name", "Type", "Value"], Object.entries(vars).map(([k, v]) =>
      h("tr", { "data-variable": k }, h("td", null, k), h("td", null, v.type || ""), h("td", null, h("code", null, JSON.stringify(v.value)))), { id: "variables" }))
      : h("p", { class: "muted" }, "No variables."),
    running ? variableForm(id) : null,
    h("h2", null, "History"),
    timeline(activities));
  await routeMap(box, inst, activities);
}

async function variablesFromHistory(id) {
  const rows = await get(`/engine-rest/history/variable-instance?processInstanceId=${q(id)}`);
  const out = {};
  for (const r of rows) out[r.name] = { value: r.value, type: r.type };
  return out;
}

function actions(inst) {
  const act = async (what, method, path, body, then) => {
    try {
      await api(method, path, body);
      flash(what);
      go(then);
    } catch (e) {
      flash(`Refused: ${e.message}`, true);
    }
  };
  const id = encodeURIComponent(inst.id);
  return h("div", { class: "toolbar" },
    h("button", { id: "suspend", onclick: () => act(inst.state === "SUSPENDED" ? "Resumed." : "Suspended.", "PUT",
      `/engine-rest/process-instance/${id}/suspended`, { suspended: inst.state !== "SUSPENDED" }, `/instance/${id}`) },
      inst.state === "SUSPENDED" ? "Resume" : "Suspend"),
    h("button", { id: "cancel", onclick: () => act("Cancelled.", "DELETE", `/engine-rest/process-instance/${id}`, undefined, `/instance/${id}`) }, "Cancel"));
}

// Runs the element of the incident again (POST /api/instances/ID/retry, the work right).
async function retry(id) {
  try {
    await api("POST", `/api/instances/${q(id)}/retry`);
    go(`/instance/${encodeURIComponent(id)}`);
    flash("Retried.");
  } catch (e) {
    flash(`Refused: ${e.message}`, true);
  }
}

// A typed value from the form's text, as Camunda's {value, type}; a problem as a string.
function typedValue(type, text) {
  switch (type) {
    case "Long":
      if (!/^-?\d+$/.test(text.trim())) return "a whole number is needed";
      return { value: Number(text), type };
    case "Double":
      if (text.trim() === "" || !Number.isFinite(Number(text))) return "a number is needed";
      return { value: Number(text), type };
    case "Boolean":
      if (text !== "true" && text !== "false") return "true or false is needed";
      return { value: text === "true", type };
    case "Json":
      try { JSON.parse(text); } catch { return "JSON text is needed"; }
      return { value: text, type };
    default:
      return { value: text, type: "String" };
  }
}

// Sets one variable (PUT /engine-rest/process-instance/ID/variables/NAME, the work right).
function variableForm(id) {
  const name = h("input", { name: "name", id: "var-name", required: true });
  const type = h("select", { name: "type", id: "var-type" },
    ["String", "Long", "Double", "Boolean", "Json"].map((t) => h("option", { value: t }, t)));
  const value = h("input", { name: "value", id: "var-value" });
  const out = h("p", { id: "var-result" });
  const form = h("form", { class: "toolbar", id: "variable-form" },
    h("strong", null, "Set a variable"),
    h("label", null, "Name ", name), h("label", null, "Type ", type), h("label", null, "Value ", value),
    h("button", { type: "submit" }, "Set"), out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    out.className = "error";
    const n = name.value.trim();
    if (!n) { out.textContent = "A name is needed."; return; }
    const v = typedValue(type.value, value.value);
    if (typeof v === "string") { out.textContent = `${n}: ${v}.`; return; }
    try {
      await api("PUT", `/engine-rest/process-instance/${q(id)}/variables/${q(n)}`, v);
      go(`/instance/${encodeURIComponent(id)}`);
      flash(`Set ${n}.`);
    } catch (e) {
      out.textContent = "Refused: " + e.message;
    }
  });
  return form;
}
