// process.js - one process: its diagram with a badge on every element (instances waiting
// there, incidents in red), the funnel of its stages as a chart (entered, completed, waiting;
// grouped by a variable when one is named) with median times, and its running instances.
import { Chart, BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip } from "chart.js";
import { h, put, link, table, duration, when } from "../dom.js";
import { get, q } from "../api.js";
import { definitionXml, showDiagram, addBadges, diagramBox } from "../diagram.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export async function processPage(el, [key]) {
  const def = await get(`/engine-rest/process-definition/key/${q(key)}`);
  document.title = `bpmnrt - ${def.name || def.key}`;
  const box = diagramBox();
  box.id = "diagram";
  const funnelArea = h("div", { id: "funnel" });
  const groupBy = h("input", { id: "group-by", placeholder: "a variable, e.g. manager" });
  const instancesArea = h("div", { id: "instances" });
  put(el, 
    h("h1", null, def.name || def.key, " ", h("span", { class: "muted" }, `${def.key} · version ${def.version}`)),
    box,
    h("h2", null, "Funnel"),
    h("form", { class: "toolbar", onsubmit: (ev) => { ev.preventDefault(); funnel(funnelArea, key, groupBy.value.trim()); } },
      h("label", null, "Group by ", groupBy), h("button", { type: "submit" }, "Show")),
    funnelArea,
    h("h2", null, "Running instances"),
    instancesArea);
  const [xml, stats] = await Promise.all([
    definitionXml(def.id), get(`/engine-rest/process-definition/${q(def.id)}/statistics`)]);
  const viewer = await showDiagram(box, xml, def.key);
  addBadges(viewer, stats);
  box.setAttribute("data-ready", "true");
  await Promise.all([funnel(funnelArea, key, ""), instances(instancesArea, def)]);
}

async function funnel(area, key, groupBy) {
  const r = await get(`/api/reports/funnel?process=${q(key)}${groupBy ? "&groupBy=" + q(groupBy) : ""}`);
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

async function instances(area, def) {
  const list = await get(`/engine-rest/history/process-instance?processDefinitionKey=${q(def.key)}&unfinished=true&maxResults=100&sortBy=startTime&sortOrder=desc`);
  area.replaceChildren(list.length
    ? table(["Instance", "Business key", "Version", "Started", "State"], list.map((i) => h("tr", { "data-instance": i.id },
        h("td", null, link(`/instance/${encodeURIComponent(i.id)}`, i.id)),
        h("td", null, i.businessKey || ""), h("td", { class: "num" }, String(i.processDefinitionVersion ?? "")),
        h("td", null, when(i.startTime)), h("td", null, i.state || ""))))
    : h("p", { class: "muted" }, "No running instance."));
}
