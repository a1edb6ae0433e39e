// diagram.js - a process's diagram exactly as drawn, with bpmn-js's NavigatedViewer (pan and
// zoom, no editing): badges per element (overlays built from DOM nodes, never HTML strings) and
// markers (CSS classes on the element's SVG group: waiting, done, taken).
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import { h, duration } from "./dom.js";
import { get, q } from "./api.js";

const xmlCache = new Map();

// The BPMN XML of a definition id ("KEY:VERSION") or, with byKey, of a key's latest version.
export async function definitionXml(idOrKey, byKey) {
  const path = byKey ? `/engine-rest/process-definition/key/${q(idOrKey)}/xml`
                     : `/engine-rest/process-definition/${q(idOrKey)}/xml`;
  if (!xmlCache.has(path)) xmlCache.set(path, get(path).then((r) => r.bpmn20Xml));
  try { return await xmlCache.get(path); } catch (e) { xmlCache.delete(path); throw e; }
}

// The id of the BPMNDiagram drawing a process (its plane names the process, or a collaboration
// with a participant of it); undefined: bpmn-js's default, the first diagram of the file. A file
// may hold several processes, each drawn on its own diagram.
function diagramOf(xml, processKey) {
  if (!processKey) return undefined;
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const DI = "http://www.omg.org/spec/BPMN/20100524/DI", MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL";
  const owners = new Set([processKey]);
  for (const p of doc.getElementsByTagNameNS(MODEL, "participant"))
    if (p.getAttribute("processRef") === processKey && p.parentNode) owners.add(p.parentNode.getAttribute("id"));
  for (const plane of doc.getElementsByTagNameNS(DI, "BPMNPlane"))
    if (owners.has(plane.getAttribute("bpmnElement")) && plane.parentNode?.getAttribute("id"))
      return plane.parentNode.getAttribute("id");
  return undefined;
}

// Shows xml in container (the diagram of processKey when the file draws several); resolves to
// the viewer.
export async function showDiagram(container, xml, processKey) {
  const viewer = new NavigatedViewer({ container });
  await viewer.importXML(xml, diagramOf(xml, processKey));
  viewer.get("canvas").zoom("fit-viewport", "auto");
  return viewer;
}

// counts: [{id, instances, incidents:[{incidentCount}]}] (Camunda's statistics).
export function addBadges(viewer, counts) {
  const overlays = viewer.get("overlays"), registry = viewer.get("elementRegistry");
  for (const c of counts) {
    if (!registry.get(c.id)) continue;
    const incidents = (c.incidents || []).reduce((n, i) => n + (i.incidentCount || 0), 0);
    const node = h("div", { class: "badges", "data-element": c.id },
      c.instances ? h("span", { class: "badge", title: "instances waiting here", "data-count": c.instances }, String(c.instances)) : null,
      incidents ? h("span", { class: "badge incident", title: "incidents", "data-incidents": incidents }, String(incidents)) : null);
    overlays.add(c.id, "badges", { position: { top: -12, left: -12 }, html: node });
  }
}

// The heat map: over each element with a median time (the funnel's stages: [{element,
// medianMs, completed}]), a veil from pale yellow (the fastest) to red (the slowest) with the
// median written on it. Overlays of type "heat", removed by removeHeat. Returns how many.
export function addHeat(viewer, stages) {
  const overlays = viewer.get("overlays"), registry = viewer.get("elementRegistry");
  const timed = stages.filter((s) => s.completed > 0 && typeof s.medianMs === "number" && registry.get(s.element));
  const max = Math.max(1, ...timed.map((s) => s.medianMs));
  for (const s of timed) {
    const el = registry.get(s.element);
    const t = s.medianMs / max; // 0..1
    const hue = Math.round(55 - 55 * t), alpha = (0.3 + 0.3 * t).toFixed(2);
    const node = h("div", { class: "heat", "data-element": s.element, "data-median": s.medianMs,
      title: `median time ${duration(s.medianMs)} (${s.completed} completed)`,
      style: `width:${Math.round(el.width)}px;height:${Math.round(el.height)}px;background:hsla(${hue},95%,50%,${alpha})` },
      h("span", null, duration(s.medianMs)));
    overlays.add(s.element, "heat", { position: { top: 0, left: 0 }, html: node });
  }
  return timed.length;
}

export function removeHeat(viewer) {
  viewer.get("overlays").remove({ type: "heat" });
}

// The route map: activities still open are "waiting", finished ones "done", and a sequence
// flow is "taken" when its source finished and its target was entered.
export function markRoute(viewer, activities) {
  const canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
  const done = new Set(), entered = new Set(), waiting = new Set();
  for (const a of activities) {
    entered.add(a.activityId);
    if (a.endTime) done.add(a.activityId); else waiting.add(a.activityId);
  }
  for (const id of done) if (registry.get(id) && !waiting.has(id)) canvas.addMarker(id, "done");
  for (const id of waiting) if (registry.get(id)) canvas.addMarker(id, "waiting");
  for (const el of registry.filter((e) => e.type === "bpmn:SequenceFlow")) {
    if (el.source && el.target && done.has(el.source.id) && entered.has(el.target.id))
      canvas.addMarker(el.id, "taken");
  }
  return { waiting: [...waiting], done: [...done] };
}

export function diagramBox() {
  return h("div", { class: "diagram" });
}
