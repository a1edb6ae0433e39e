// reports.js - per performer and per candidate group (GET /api/reports/tasks: created,
// completed, late, open, overdue, median and p90 times) for a date range, as a chart and
// tables, and per process (GET /api/reports/durations); each table with a CSV download.
import { Chart } from "chart.js";
import { h, put, table, duration } from "../dom.js";
import { get } from "../api.js";

function csvLink(name, headers, rows) {
  const esc = (v) => /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);
  const text = [headers, ...rows].map((r) => r.map(esc).join(",")).join("\n") + "\n";
  return h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: name }, "Download CSV");
}

const dayMs = (v, end) => (v ? Date.parse(v + "T00:00:00Z") + (end ? 86400000 : 0) : null);

export async function reportsPage(el) {
  document.title = "bpmnrt - reports";
  const params = new URLSearchParams(location.search);
  const from = params.get("from") || "", to = params.get("to") || "";
  const range = new URLSearchParams();
  if (from) range.set("from", String(dayMs(from)));
  if (to) range.set("to", String(dayMs(to, true)));
  const [tasks, durations] = await Promise.all([get(`/api/reports/tasks?${range}`), get("/api/reports/durations")]);
  const people = tasks.assignees || [], groups = tasks.groups || [];
  put(el,
    h("h1", null, "Reports"),
    h("form", { class: "toolbar", method: "get", action: "/reports" },
      h("label", null, "Tasks created from ", h("input", { type: "date", name: "from", value: from })),
      h("label", null, "to ", h("input", { type: "date", name: "to", value: to })),
      h("button", { type: "submit" }, "Show")),
    h("h2", null, "Performers"),
    people.length ? chart(people.map((p) => p.assignee ?? p.user ?? p.name ?? "?"), people) : null,
    flat(people, "performers.csv", "performers"),
    h("h2", null, "Candidate groups"),
    flat(groups, "groups.csv", "groups"),
    h("h2", null, "Processes"),
    flat(Array.isArray(durations) ? durations : durations.processes || [], "processes.csv", "durations"));
}

function chart(labels, rows) {
  const canvas = h("canvas", { id: "performers-chart" });
  new Chart(canvas, {
    type: "bar",
    options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    data: { labels, datasets: [
      { label: "completed", data: rows.map((p) => p.completed || 0), backgroundColor: "#4ac26b" },
      { label: "completed late", data: rows.map((p) => p.completedLate || 0), backgroundColor: "#d4a72c" },
      { label: "open", data: rows.map((p) => p.open || 0), backgroundColor: "#54aeff" },
      { label: "overdue", data: rows.map((p) => p.overdue || 0), backgroundColor: "#ff8182" },
    ] },
  });
  return h("div", { class: "chart" }, canvas);
}

// A table of flat objects: the keys of the first row as columns; *Ms columns as durations.
function flat(rows, file, id) {
  if (!rows.length) return h("p", { class: "muted", id }, "Nothing recorded yet.");
  const cols = Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== "object" || rows[0][k] === null);
  const cell = (k, v) => (/Ms$/.test(k) && typeof v === "number" ? duration(v) : v ?? "");
  return h("div", { id },
    table(cols.map((k) => k.replace(/Ms$/, "")), rows.map((r) => h("tr", null, cols.map((k) =>
      h("td", { class: typeof r[k] === "number" ? "num" : null }, String(cell(k, r[k]))))))),
    csvLink(file, cols, rows.map((r) => cols.map((k) => r[k] ?? ""))));
}
