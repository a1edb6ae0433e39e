// main.js - the web app's frame: login, the navigation bar, and the router that maps a path
// (/processes, /process/KEY, /instance/ID, /tasks, /task/ID, /journal, /reports) to a page.
// Pages are functions (main element, params) -> Promise; links with data-nav move without
// reloading, and every path also opens directly (the server answers index.html for them).
import { h, clear } from "./dom.js";
import { session, login, logout, ApiError } from "./api.js";
import { go, flash, onNavigate } from "./nav.js";
import { processesPage } from "./pages/processes.js";
import { processPage } from "./pages/process.js";
import { instancePage } from "./pages/instance.js";
import { tasksPage, taskPage } from "./pages/tasks.js";
import { journalPage } from "./pages/journal.js";
import { reportsPage } from "./pages/reports.js";

const routes = [
  [/^\/(processes)?$/, processesPage, "/processes"],
  [/^\/process\/([^/]+)$/, processPage, "/processes"],
  [/^\/instance\/([^/]+)$/, instancePage, "/journal"],
  [/^\/tasks$/, tasksPage, "/tasks"],
  [/^\/task\/([^/]+)$/, taskPage, "/tasks"],
  [/^\/journal$/, journalPage, "/journal"],
  [/^\/reports$/, reportsPage, "/reports"],
];

const main = () => document.getElementById("page");


function loginPage(el) {
  const user = h("input", { name: "user", autocomplete: "username", required: true });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const err = h("p", { class: "error", id: "login-error" });
  const form = h("form", { class: "login", id: "login" },
    h("h1", null, "Log in to bpmnrt"),
    h("label", null, "User", user),
    h("label", null, "Password", pass),
    err,
    h("button", { class: "primary", type: "submit" }, "Log in"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    try {
      await login(user.value, pass.value);
      render();
    } catch (e) {
      err.textContent = e.message;
    }
  });
  el.appendChild(form);
  user.focus();
}

let seq = 0;

async function render() {
  const el = clear(main());
  const me = session();
  const nav = document.getElementById("nav"), who = clear(document.getElementById("who"));
  nav.hidden = !me;
  flash("");
  if (!me) {
    document.title = "bpmnrt - log in";
    return loginPage(el);
  }
  who.append(me.user, " ", h("button", { id: "logout", onclick: () => { logout(); go("/"); } }, "Log out"));
  const path = location.pathname;
  for (const [re, page, section] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    for (const a of nav.querySelectorAll("a")) a.classList.toggle("current", a.getAttribute("href") === section);
    const mine = ++seq;
    el.setAttribute("aria-busy", "true");
    try {
      await page(el, m.slice(1).map((p) => p && decodeURIComponent(p)));
    } catch (e) {
      if (mine !== seq) return;
      if (e instanceof ApiError && e.status === 401) return render();
      flash(e instanceof ApiError && e.status === 403 ? `Refused: ${e.message}` : e.message, true);
      el.appendChild(h("p", { class: "error refused", "data-status": e.status || "" },
        e instanceof ApiError && e.status === 403 ? "You may not see this." : "This page could not be shown."));
    } finally {
      if (mine === seq) el.setAttribute("aria-busy", "false");
    }
    return;
  }
  el.appendChild(h("p", { class: "error" }, "No page at ", path));
}

document.addEventListener("click", (ev) => {
  const a = ev.target.closest && ev.target.closest("a[data-nav]");
  if (!a || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
  ev.preventDefault();
  go(a.getAttribute("href"));
});
window.addEventListener("popstate", render);
onNavigate(render);
render();
