// reports.js - per performer (GET /api/reports/tasks) and per process (/api/reports/durations)
// as tables, with a CSV download of each.
import { Chart } from "chart.js";
import { h, put, table, duration } from "../dom.js";
import { get } from "../api.js";

function csvLink(name, headers, rows) {
  const esc = (v) => /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);
  const text = [headers, ...rows].map((r) => r.map(esc).join(",")).join("\n") + "\n";
  return h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: name }, "CSV");
}

export async function reportsPage(el) {
  document.title = "bpmnrt - reports";
  const [tasks, durations] = await Promise.all([get("/api/reports/tasks"), get("/api/reports/durations")]);
  put(el, h("h1", null, "Reports"));
  put(el, h("h2", null, "Performers"));
  const perf = Array.isArray(tasks) ? tasks : tasks.performers || tasks.rows || [];
  put(el, generic(perf, "performers.csv", "performers"));
  if (perf.length && "completed" in perf[0]) {
    const canvas = h("canvas");
    put(el, h("div", { class: "chart" }, canvas));
    new Chart(canvas, { type: "bar", options: { animation: false, maintainAspectRatio: false },
      data: { labels: perf.map((p) => p.user || p.performer || p.name || "?"),
              datasets: [{ label: "completed", data: perf.map((p) => p.completed || 0), backgroundColor: "#4ac26b" }] } });
  }
  put(el, h("h2", null, "Processes"));
  const procs = Array.isArray(durations) ? durations : durations.processes || durations.rows || [];
  put(el, generic(procs, "processes.csv", "durations"));
}

// A table of flat objects: the keys of the first row as columns; *Ms as durations.
function generic(rows, file, id) {
  if (!rows.length) return h("p", { class: "muted" }, "Nothing recorded yet.");
  const cols = Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== "object" || rows[0][k] === null);
  const cell = (k, v) => (/Ms$/.test(k) && typeof v === "number" ? duration(v) : v ?? "");
  return h("div", { id },
    table(cols, rows.map((r) => h("tr", null, cols.map((k) => h("td", { class: typeof r[k] === "number" ? "num" : null }, String(cell(k, r[k]))))))),
    csvLink(file, cols, rows.map((r) => cols.map((k) => r[k] ?? ""))));
}
