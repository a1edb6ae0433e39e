// journal.js - instances across processes (GET /engine-rest/history/process-instance), with
// filters: state, process, business key, started between, started by (the user the instance's
// start recorded: startUserId); paged.
import { h, put, link, table, when } from "../dom.js";
import { get } from "../api.js";

const PAGE = 50;

export async function journalPage(el) {
  document.title = "bpmnrt - journal";
  const params = new URLSearchParams(location.search);
  const first = Number(params.get("firstResult") || 0);
  const state = params.get("state") || "";
  const qs = new URLSearchParams({ firstResult: String(first), maxResults: String(PAGE + 1) });
  for (const k of ["processDefinitionKey", "businessKey", "startedAfter", "startedBefore", "startedBy"])
    if (params.get(k)) qs.set(k, params.get(k));
  if (state === "active") qs.set("unfinished", "true");
  if (state === "finished") qs.set("finished", "true");
  const rows = await get(`/engine-rest/history/process-instance?${qs}`);
  const more = rows.length > PAGE;
  const input = (name, label, type) => h("label", null, label, " ", h("input", { name, type: type || "text", value: params.get(name) || "" }));
  const page = (n) => { const p = new URLSearchParams(params); p.set("firstResult", String(n)); return `/journal?${p}`; };
  put(el, 
    h("h1", null, "Journal"),
    h("form", { class: "toolbar", id: "journal-filter", method: "get", action: "/journal" },
      h("label", null, "State ", h("select", { name: "state" },
        ["", "active", "finished"].map((s) => h("option", { value: s, selected: s === state ? true : null }, s || "any")))),
      input("processDefinitionKey", "Process"), input("businessKey", "Business key"),
      input("startedAfter", "Started after", "text"), input("startedBefore", "before", "text"),
      input("startedBy", "Started by"),
      h("button", { type: "submit" }, "Filter")),
    rows.length ? null : h("p", { class: "muted", id: "journal-empty" }, "No instance matches."),
    table(["Instance", "Process", "Business key", "State", "Started", "Started by", "Ended"], rows.slice(0, PAGE).map((i) =>
      h("tr", { "data-instance": i.id },
        h("td", null, link(`/instance/${encodeURIComponent(i.id)}`, i.id)),
        h("td", null, i.processDefinitionName || i.processDefinitionKey),
        h("td", null, i.businessKey || ""), h("td", null, i.state || ""),
        h("td", null, when(i.startTime)), h("td", { "data-col": "started-by" }, i.startUserId || ""),
        h("td", null, when(i.endTime)))), { id: "journal" }),
    h("p", { class: "toolbar" },
      first > 0 ? link(page(Math.max(0, first - PAGE)), "← previous") : null,
      more ? link(page(first + PAGE), "next →") : null));
}
