// process.js - one process: its diagram with a badge on every element (instances waiting
// there, incidents in red) and, toggled, a heat map of the median time per element (the
// funnel's stages); the funnel of its stages as a chart (entered, completed, waiting; grouped by
// a variable when one is named) with median times; and its instances, filtered by state and
// business key.
import { Chart, BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip } from "chart.js";
import { h, put, link, table, duration, when } from "../dom.js";
import { get, q } from "../api.js";
import { definitionXml, showDiagram, addBadges, addHeat, removeHeat, diagramBox } from "../diagram.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export async function processPage(el, [key]) {
  const def = await get(`/engine-rest/process-definition/key/${q(key)}`);
  document.title = `bpmnrt - ${def.name || def.key}`;
  const box = diagramBox();
  box.id = "diagram";
  const funnelArea = h("div", { id: "funnel" });
  const groupBy = h("input", { id: "group-by", placeholder: "a variable, e.g. manager" });
  const instancesArea = h("div", { id: "instances" });
  const heatButton = h("button", { id: "heat-toggle", type: "button", "aria-pressed": "false", disabled: true }, "Heat map: median time per element");
  const heatNote = h("span", { class: "muted", id: "heat-note" });
  const state = h("select", { name: "state", id: "instance-state" },
    [["running", "running"], ["finished", "ended"], ["", "any"]].map(([v, t]) => h("option", { value: v }, t)));
  const bk = h("input", { name: "businessKey", id: "instance-key", placeholder: "exact business key" });
  const filter = h("form", { class: "toolbar", id: "instance-filter", onsubmit: (ev) => {
    ev.preventDefault();
    instancesArea.removeAttribute("data-ready");
    instances(instancesArea, def, state.value, bk.value.trim()).catch((e) => flashError(instancesArea, e));
  } }, h("label", null, "State ", state), h("label", null, "Business key ", bk), h("button", { type: "submit" }, "Filter"));
  put(el, 
    h("h1", null, def.name || def.key, " ", h("span", { class: "muted" }, `${def.key} · version ${def.version}`)),
    h("div", { class: "toolbar" }, heatButton, heatNote),
    box,
    h("h2", null, "Funnel"),
    h("form", { class: "toolbar", onsubmit: (ev) => { ev.preventDefault(); funnel(funnelArea, key, groupBy.value.trim()); } },
      h("label", null, "Group by ", groupBy), h("button", { type: "submit" }, "Show")),
    funnelArea,
    h("h2", null, "Instances"),
    filter,
    instancesArea);
  const [xml, stats, stages] = await Promise.all([
    definitionXml(def.id), get(`/engine-rest/process-definition/${q(def.id)}/statistics`),
    get(`/api/reports/funnel?process=${q(key)}`)]);
  const viewer = await showDiagram(box, xml, def.key);
  addBadges(viewer, stats);
  box.setAttribute("data-ready", "true");
  heatButton.disabled = false;
  heatButton.addEventListener("click", () => {
    const on = heatButton.getAttribute("aria-pressed") !== "true";
    heatButton.setAttribute("aria-pressed", String(on));
    removeHeat(viewer);
    if (!on) { heatNote.textContent = ""; box.removeAttribute("data-heat"); return; }
    const n = addHeat(viewer, stages.stages);
    box.setAttribute("data-heat", String(n));
    heatNote.textContent = n ? "the stages' median time, every version (pale: fastest, red: slowest)"
                             : "no stage has been completed yet";
  });
  await Promise.all([funnel(funnelArea, key, "", stages), instances(instancesArea, def, "running", "")]);
}

function flashError(area, e) {
  area.replaceChildren(h("p", { class: "error refused" }, e.status === 403 ? "You may not see this." : e.message));
}

async function funnel(area, key, groupBy, known) {
  const r = known || await get(`/api/reports/funnel?process=${q(key)}${groupBy ? "&groupBy=" + q(groupBy) : ""}`);
  const canvas = h("canvas", { id: "funnel-chart" });
  const labels = r.stages.map((s) => s.name || s.element);
  let datasets, rows;
  if (!groupBy) {
    datasets = [
      { label: "entered", data: r.stages.map((s) => s.entered), backgroundColor: "#54aeff" },
      { label: "completed", data: r.stages.map((s) => s.completed), backgroundColor: "#4ac26b" },
      { label: "waiting", data: r.stages.map((s) => s.waiting), backgroundColor: "#d4a72c" },
    ];
    rows = r.stages.map((s) => h("tr", null, h("td", null, s.name || s.element),
      h("td", { class: "num" }, String(s.entered)), h("td", { class: "num" }, String(s.completed)),
      h("td", { class: "num" }, String(s.waiting)), h("td", { class: "num" }, duration(s.medianMs))));
  } else {
    const values = [...new Set(r.stages.flatMap((s) => (s.groups || []).map((g) => String(g.value))))];
    const palette = ["#54aeff", "#4ac26b", "#d4a72c", "#ff8182", "#c297ff", "#76e3ea"];
    datasets = values.map((v, i) => ({
      label: `${groupBy} = ${v}`, backgroundColor: palette[i % palette.length],
      data: r.stages.map((s) => ((s.groups || []).find((g) => String(g.value) === v) || {}).entered || 0) }));
    rows = r.stages.flatMap((s) => (s.groups || []).map((g) => h("tr", null,
      h("td", null, s.name || s.element, " · ", String(g.value)),
      h("td", { class: "num" }, String(g.entered)), h("td", { class: "num" }, String(g.completed)),
      h("td", { class: "num" }, String(g.waiting)), h("td", { class: "num" }, duration(g.medianMs)))));
  }
  area.replaceChildren(h("div", { class: "chart" }, canvas),
    table(["Stage", "Entered", "Completed", "Waiting", "Median time"], rows, { id: "funnel-table" }));
  new Chart(canvas, {
    type: "bar",
    data: { labels, datasets },
    options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  area.setAttribute("data-ready", "true");
}

// The process's instances (the history's list: running and ended), at most 100.
async function instances(area, def, state, businessKey) {
  const qs = new URLSearchParams({ processDefinitionKey: def.key, maxResults: "100" });
  if (state === "running") qs.set("unfinished", "true");
  if (state === "finished") qs.set("finished", "true");
  if (businessKey) qs.set("businessKey", businessKey);
  const list = await get(`/engine-rest/history/process-instance?${qs}`);
  area.replaceChildren(list.length
    ? table(["Instance", "Business key", "Version", "Started", "State"], list.map((i) => h("tr", { "data-instance": i.id },
        h("td", null, link(`/instance/${encodeURIComponent(i.id)}`, i.id)),
        h("td", null, i.businessKey || ""), h("td", { class: "num" }, String(i.processDefinitionVersion ?? "")),
        h("td", null, when(i.startTime)), h("td", null, i.state || ""))))
    : h("p", { class: "muted" }, "No instance matches."));
  area.setAttribute("data-ready", "true");
}
