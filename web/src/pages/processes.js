// processes.js - every deployed process the user may read, each version with its running
// instances, incidents and tokens waiting; start an instance with its start form; deploy a
// BPMN file (the server refuses users who may not).
import { h, put, link, table } from "../dom.js";
import { api, get, q } from "../api.js";
import { definitionXml } from "../diagram.js";
import { startForm, renderFields, readFields } from "../forms.js";
import { go, flash } from "../nav.js";

export async function processesPage(el) {
  document.title = "bpmnrt - processes";
  // The counts of every version in one call (one pass over the store); a version the user may
  // read only their own instances of is counted per instance, as before.
  const [defs, counts] = await Promise.all([
    get("/engine-rest/process-definition?sortBy=key&sortOrder=asc"),
    get("/api/processes"),
  ]);
  const byId = new Map(counts.map((c) => [`${c.process}:${c.version}`, c]));
  const rows = await Promise.all(defs.map(async (d) => {
    const c = byId.get(d.id);
    if (!c || !c.ownOnly)
      return { d, running: c ? c.instances : 0, incidents: c ? c.incidents : 0, waiting: c ? c.waiting : 0 };
    const [stats, running, incidents] = await Promise.all([
      get(`/engine-rest/process-definition/${q(d.id)}/statistics`),
      get(`/engine-rest/process-instance/count?processDefinitionId=${q(d.id)}`),
      get(`/engine-rest/process-instance/count?processDefinitionId=${q(d.id)}&withIncident=true`),
    ]);
    const waiting = stats.reduce((n, s) => n + (s.instances || 0), 0);
    return { d, running: running.count, incidents: incidents.count, waiting };
  }));
  const startArea = h("div", { id: "start-area" });
  put(el, 
    h("h1", null, "Processes"),
    defs.length ? null : h("p", { class: "muted" }, "No process you may read is deployed."),
    table(["Process", "Key", "Version", "Running", "Incidents", "Waiting", ""],
      rows.map(({ d, running, incidents, waiting }) => h("tr", { "data-process": d.key, "data-version": d.version },
        h("td", null, link(`/process/${encodeURIComponent(d.key)}`, d.name || d.key)),
        h("td", null, d.key),
        h("td", { class: "num" }, String(d.version)),
        h("td", { class: "num", "data-col": "running" }, String(running)),
        h("td", { class: "num" + (incidents ? " error" : ""), "data-col": "incidents" }, String(incidents)),
        h("td", { class: "num", "data-col": "waiting" }, String(waiting)),
        h("td", null, h("button", { class: "start", onclick: () => showStart(startArea, d) }, "Start…"))))),
    startArea,
    deployForm());
}

async function showStart(area, d) {
  area.replaceChildren(h("p", { class: "muted" }, "Loading the start form…"));
  const xml = await definitionXml(d.id);
  const { fields, doc } = startForm(xml, d.key);
  const problems = h("ul", { class: "error", id: "start-problems" });
  const form = h("form", { class: "fields", id: "start-form" },
    h("h2", null, "Start ", d.name || d.key),
    doc ? h("pre", { class: "doc" }, doc) : null,
    renderFields(fields),
    h("label", null, h("span", null, "Business key"), h("input", { name: "businessKey", id: "business-key" })),
    problems,
    h("button", { class: "primary", type: "submit" }, "Start"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = readFields(form, fields);
    problems.replaceChildren(...(r.problems || []).map((p) => h("li", null, p)));
    if (r.problems) return;
    const body = { variables: r.variables };
    const bk = form.querySelector("#business-key").value.trim();
    if (bk) body.businessKey = bk;
    try {
      const inst = await api("POST", `/engine-rest/process-definition/${q(d.id)}/start`, body);
      go(`/instance/${encodeURIComponent(inst.id)}`);
      flash(`Started instance ${inst.id}.`);
    } catch (e) {
      problems.replaceChildren(h("li", null, "Refused: ", e.message));
    }
  });
  area.replaceChildren(form);
}

function deployForm() {
  const file = h("input", { type: "file", name: "file", accept: ".bpmn,.xml", id: "deploy-file" });
  const out = h("p", { id: "deploy-result" });
  const form = h("form", { class: "toolbar", id: "deploy" },
    h("strong", null, "Deploy a BPMN file"), file,
    h("button", { type: "submit" }, "Deploy"), out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!file.files.length) { out.textContent = "Choose a file first."; return; }
    const fd = new FormData();
    fd.append("deployment-name", file.files[0].name);
    fd.append("deployment-source", "bpmnrt web");
    fd.append(file.files[0].name, file.files[0], file.files[0].name);
    try {
      await api("POST", "/engine-rest/deployment/create", fd);
      go("/processes");
      flash(`Deployed ${file.files[0].name}.`);
    } catch (e) {
      out.className = "error";
      out.textContent = "Refused: " + e.message;
    }
  });
  return h("div", null, h("h2", null, "Deploy"), form);
}
