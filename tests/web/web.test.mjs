// web.test.mjs - the web app in a real browser (Debian's chromium, headless, through
// puppeteer-core) against a server on a store filled with the samples: a user's story from
// logging in to completing a task, with a screenshot of every page saved as an artefact
// (BPMNRT_WEB_SHOTS, by ctest: the build tree's web-screenshots/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { tempStore, addUser, serve, auth, call, deploy, cli, ROOT } from "../server/harness.mjs";

const ADMIN = ["admin", "admin-password-1"], SALES = ["sara", "sara-password-1"];
const SHOTS = process.env.BPMNRT_WEB_SHOTS || join(tmpdir(), "bpmnrt-web-shots");
let store, srv, browser, page, profile, deals = [], markupInstance, parentInstance, childInstance;
const dialogs = [];

before(async () => {
  store = tempStore();
  addUser(store.db, ADMIN[0], ADMIN[1], ["--admin"]);
  addUser(store.db, SALES[0], SALES[1], ["--groups", "sales"]);
  for (const right of ["start", "read", "work"]) {
    assert.equal(cli(store.db, ["grant", "sales", right, "sales-deal"]).code, 0);
    assert.equal(cli(store.db, ["grant", "sales", right, "markup"]).code, 0);
  }
  srv = await serve(store.db, ["--web", join(ROOT, "web", "dist")]);
  const H = auth(...ADMIN);
  const samples = readdirSync(join(ROOT, "samples")).filter((f) => f.endsWith(".bpmn"));
  const d = await deploy(srv.base, [...samples.map((f) => join(ROOT, "samples", f)), join(ROOT, "tests", "web", "markup.bpmn"),
    join(ROOT, "tests", "web", "family.bpmn")], H);
  assert.equal(d.status, 200, d.text);
  for (const client of ["Acme", "Globex", "Initech"]) {
    const r = await call(srv.base, "POST", "/process-definition/key/sales-deal/start",
      { body: { businessKey: `deal-${client}`, variables: { client: { value: client, type: "String" }, amount: { value: 1000, type: "Long" } } }, headers: H });
    assert.equal(r.status, 200, r.text);
    deals.push(r.json.id);
  }
  const m = await call(srv.base, "POST", "/process-definition/key/markup/start",
    { body: { variables: { note: { value: "<img src=x onerror=alert('variable')>", type: "String" } } }, headers: H });
  assert.equal(m.status, 200, m.text);
  markupInstance = m.json.id;
  // A parent calling a child whose gateway reads a variable nobody set: an incident in the child.
  const p = await call(srv.base, "POST", "/process-definition/key/web-parent/start", { body: {}, headers: H });
  assert.equal(p.status, 200, p.text);
  parentInstance = p.json.id;

  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), "bpmnrt-chromium-"));
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    userDataDir: profile,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
  page = await browser.newPage();
  page.setDefaultTimeout(15000);
  await page.setViewport({ width: 1280, height: 1000 });
  page.on("dialog", async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  page.on("pageerror", (e) => dialogs.push("page error: " + e.message));
});

after(async () => {
  await browser?.close();
  // The server stops cleanly (under the sanitizer build, a leak or an error would not).
  const code = await srv?.stop();
  assert.equal(code, 0, srv?.log());
  store?.remove();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const shot = (name) => page.screenshot({ path: join(SHOTS, name + ".png"), fullPage: true });
const text = (sel) => page.$eval(sel, (e) => e.textContent);

// A page's own text nodes never read "null" (an absent value shown as text).
const noStrayNull = () => page.$eval("#page", (m) => [...m.childNodes].every((n) => n.nodeType !== 3 || n.textContent !== "null"));

async function logIn([user, password]) {
  await page.goto(srv.url + "/");
  if (await page.$("#logout")) {
    await page.click("#logout");
  }
  await page.waitForSelector("#login");
  await page.type("#login input[name=user]", user);
  await page.type("#login input[name=password]", password);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#logout");
}

async function open(path) {
  await page.evaluate((p) => { history.pushState(null, "", p); dispatchEvent(new PopStateEvent("popstate")); }, path);
  await page.waitForSelector("#page[aria-busy=false]");
}

test("a wrong password is refused on the login form", async () => {
  await page.goto(srv.url + "/");
  await page.waitForSelector("#login");
  await page.type("#login input[name=user]", "admin");
  await page.type("#login input[name=password]", "wrong-password");
  await page.click("#login button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#login-error").textContent.length > 0);
  assert.match(await text("#login-error"), /not accepted/);
  await shot("01-login");
});

test("the admin logs in and sees every process with its counts", async () => {
  await logIn(ADMIN);
  await page.waitForSelector("tr[data-process=sales-deal]");
  assert.equal(await text("tr[data-process=sales-deal] [data-col=running]"), "3");
  assert.equal(await text("tr[data-process=sales-deal] [data-col=waiting]"), "3");
  assert.ok(await page.$("tr[data-process=delivery-of-goods]"));
  assert.ok(await noStrayNull());
  await shot("02-processes");
});

test("the admin starts a deal from its start form: the required client first", async () => {
  await page.click("tr[data-process=sales-deal] button.start");
  await page.waitForSelector("#start-form");
  await page.click("#start-form button[type=submit]");
  await page.waitForSelector("#start-problems li");
  assert.match(await text("#start-problems"), /Client is required/);
  await page.type('#start-form [data-field="client"]', "Umbrella");
  await page.type('#start-form [data-field="amount"]', "2500");
  await page.type("#business-key", "deal-Umbrella");
  await shot("02b-start-form");
  await page.click("#start-form button[type=submit]");
  await page.waitForFunction(() => location.pathname.startsWith("/instance/"));
  await page.waitForSelector("#diagram[data-ready=true]");
  assert.match(await text("tr[data-variable=client]"), /Umbrella/);
  assert.ok(await page.$('#diagram svg g.djs-element.waiting[data-element-id="Qualification"]'));
  // It is the fourth instance now; the other pages count three, so it is cancelled again.
  await page.click("#cancel");
  await page.waitForFunction(() => document.querySelector("#state")?.dataset.state !== "ACTIVE");
  await open("/processes");
  await page.waitForSelector("tr[data-process=sales-deal]");
  assert.equal(await text("tr[data-process=sales-deal] [data-col=running]"), "3");
});

test("sales-deal shows its diagram with a badge of 3 on the qualification, and its funnel", async () => {
  await page.click("tr[data-process=sales-deal] a");
  await page.waitForSelector("#diagram[data-ready=true]");
  await page.waitForSelector("#funnel[data-ready=true]");
  assert.equal(await text(".badges[data-element=Qualification] .badge"), "3");
  assert.equal(await page.$(".badges[data-element=Proposal]"), null);
  // The cancelled fourth deal entered the qualification too; three wait there.
  assert.equal(await text("#funnel-table tbody tr:first-child td:nth-child(2)"), "4"); // entered
  assert.equal(await text("#funnel-table tbody tr:first-child td:nth-child(4)"), "3"); // waiting
  assert.ok(await page.$("#funnel canvas#funnel-chart"));
  // Nothing completed a stage yet: the heat map has nothing to show, and says so.
  await page.click("#heat-toggle");
  await page.waitForSelector("#diagram[data-heat]");
  assert.equal(await page.$eval("#diagram", (d) => d.dataset.heat), "0");
  assert.match(await text("#heat-note"), /no stage/);
  await page.click("#heat-toggle");
  // The instances below: running by default; filtered by business key, and the ended ones.
  assert.equal((await page.$$("#instances tr[data-instance]")).length, 3);
  await page.type("#instance-key", "deal-Globex");
  await page.click("#instance-filter button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#instances[data-ready] tr[data-instance]").length === 1);
  assert.equal(await text("#instances tr[data-instance] td:nth-child(2)"), "deal-Globex");
  await page.$eval("#instance-key", (e) => { e.value = ""; });
  await page.select("#instance-state", "finished");
  await page.click("#instance-filter button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#instances[data-ready] tr[data-instance] td:nth-child(2)")?.textContent === "deal-Umbrella");
  assert.equal((await page.$$("#instances tr[data-instance]")).length, 1);
  await page.select("#instance-state", "running");
  await page.click("#instance-filter button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#instances[data-ready] tr[data-instance]").length === 3);
  await shot("03-process");
  const funnel = await page.$("#funnel");
  await funnel.screenshot({ path: join(SHOTS, "04-funnel.png") });
});

test("an instance's route map highlights the task it waits at", async () => {
  await page.click(`#instances tr[data-instance="${deals[0]}"] a`);
  await page.waitForSelector("#diagram[data-ready=true]");
  assert.equal(new URL(page.url()).pathname, `/instance/${deals[0]}`);
  assert.ok(await page.$('#diagram svg g.djs-element.waiting[data-element-id="Qualification"]'));
  assert.ok(await page.$('#diagram svg g.djs-element.done[data-element-id="DealOpened"]'));
  assert.ok(await page.$('#diagram svg g.djs-connection.taken[data-element-id="Flow_ToQualification"]'));
  assert.match(await text("tr[data-variable=client]"), /Acme/);
  assert.match(await text("#timeline"), /Qualify the deal/);
  assert.ok(await noStrayNull());
  await shot("05-instance");
});

test("/api/instances shows the engine's object; retry needs the work right and an incident", async () => {
  const H = auth(...ADMIN), S = auth(...SALES);
  const base = srv.url;
  const get = (path, headers) => fetch(base + path, { headers }).then(async (r) => ({ status: r.status, json: await r.json() }));
  const post = (path, headers) => fetch(base + path, { method: "POST", headers }).then(async (r) => ({ status: r.status, json: await r.json() }));
  const parent = await get(`/api/instances/${parentInstance}`, H);
  assert.equal(parent.status, 200);
  assert.equal(parent.json.children.length, 1);
  childInstance = parent.json.children[0];
  const child = await get(`/api/instances/${childInstance}`, H);
  assert.equal(child.json.parent, parentInstance);
  assert.equal(child.json.state, "incident");
  assert.equal(child.json.incident.element, "Ready");
  // The sales user has no grant on these processes: refused, as for the deals they are granted.
  assert.equal((await get(`/api/instances/${childInstance}`, S)).status, 403);
  assert.equal((await post(`/api/instances/${childInstance}/retry`, S)).status, 403);
  assert.equal((await get(`/api/instances/${deals[1]}`, S)).status, 200);
  assert.equal((await get("/api/instances/999999", H)).status, 404);
  // No incident to retry: the engine's state error.
  const none = await post(`/api/instances/${parentInstance}/retry`, H);
  assert.equal(none.status, 400, JSON.stringify(none));
  assert.equal(none.json.type, "BadUserRequestException");
});

test("an incident is fixed from the instance page: set the variable, Retry; parent and child link", async () => {
  await open(`/instance/${childInstance}`);
  await page.waitForSelector("#diagram[data-ready=true]");
  assert.equal(await page.$eval("#parent a", (a) => a.getAttribute("href")), `/instance/${parentInstance}`);
  assert.match(await text("#incidents tr[data-incident=Ready]"), /unknown variable 'ready'/);
  // A value that does not fit its type is refused before sending.
  await page.type("#var-name", "ready");
  await page.select("#var-type", "Boolean");
  await page.type("#var-value", "yes");
  await page.click("#variable-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#var-result").textContent.length > 0);
  assert.match(await text("#var-result"), /true or false/);
  await page.$eval("#var-value", (e) => { e.value = "true"; });
  await page.click("#variable-form button[type=submit]");
  await page.waitForSelector("tr[data-variable=ready]");
  assert.match(await text("tr[data-variable=ready]"), /Boolean.*true/);
  await shot("05b-incident");
  await page.click("#incidents tr[data-incident=Ready] button.retry");
  await page.waitForFunction(() => !document.querySelector("#incidents") && document.querySelector("#diagram[data-ready=true]"));
  assert.ok(await page.$('#diagram svg g.djs-element.waiting[data-element-id="Check"]'));
  assert.match(await text("#flash"), /Retried/);
  await open(`/instance/${parentInstance}`);
  await page.waitForSelector("#diagram[data-ready=true]");
  assert.equal(await page.$eval("#children a", (a) => a.getAttribute("href")), `/instance/${childInstance}`);
  await page.click("#children a");
  await page.waitForFunction((id) => location.pathname === `/instance/${id}`, {}, childInstance);
});

test("the sales user completes a task from the tasklist: a missing required field first", async () => {
  await logIn(SALES);
  await open("/tasks");
  const row = `#tasks tr[data-element=Qualification]:has(a[href="/instance/${deals[0]}"])`;
  await page.waitForSelector(row);
  await shot("06-tasklist");
  await page.click(`${row} td:first-child a`);
  await page.waitForSelector("#claim");
  await page.click("#claim");
  await page.waitForSelector("#unclaim");
  await page.waitForSelector("#diagram[data-ready=true]");
  // Refused before sending: the qualification is required.
  await page.click("#complete");
  await page.waitForSelector("#form-problems li");
  assert.match(await text("#form-problems"), /Qualification is required/);
  const still = await call(srv.base, "GET", `/task?processInstanceId=${deals[0]}`, { headers: auth(...SALES) });
  assert.equal(still.json[0].taskDefinitionKey, "Qualification");
  await shot("07-task-refused");
  await page.select('[data-field="qualification"]', "qualified");
  await page.click("#complete");
  await page.waitForFunction((id) => location.pathname === `/instance/${id}`, {}, deals[0]);
  await page.waitForSelector("#diagram[data-ready=true]");
  // The route map moved on: the proposal waits, the qualification is done.
  assert.ok(await page.$('#diagram svg g.djs-element.waiting[data-element-id="Proposal"]'));
  assert.ok(await page.$('#diagram svg g.djs-element.done[data-element-id="Qualification"]'));
  assert.equal(await page.$('#diagram svg g.djs-element.waiting[data-element-id="Qualification"]'), null);
  assert.match(await text("tr[data-variable=qualification]"), /qualified/);
  await shot("08-instance-moved-on");
});

test("the server's refusal is shown when it disagrees with the form", async () => {
  // Someone else completes the task while the form is open: the server refuses the second.
  const proposal = (await call(srv.base, "GET", `/task?processInstanceId=${deals[0]}`, { headers: auth(...ADMIN) })).json[0];
  await open(`/task/${proposal.id}`);
  await page.waitForSelector("#diagram[data-ready=true]");
  const r = await call(srv.base, "POST", `/task/${proposal.id}/complete`,
    { body: { variables: { amount: { value: 1100, type: "Long" } } }, headers: auth(...ADMIN) });
  assert.equal(r.status, 204, r.text);
  await page.$eval('[data-field="amount"]', (e) => { e.value = "1200"; });
  await page.click("#complete");
  await page.waitForSelector("#form-problems li.refused");
  assert.match(await text("#form-problems"), /server refused/);
  await shot("09-task-server-refused");
});

test("a page and an API call the sales user's grants do not cover are refused", async () => {
  await open("/process/delivery-of-goods");
  await page.waitForSelector(".refused");
  assert.match(await text("#flash"), /Refused/);
  await shot("10-refused");
  const status = await page.evaluate(async () => {
    const s = JSON.parse(sessionStorage.getItem("bpmnrt.credentials"));
    const r = await fetch("/engine-rest/process-definition/key/delivery-of-goods/xml", { headers: { Authorization: "Basic " + s.auth } });
    return r.status;
  });
  assert.equal(status, 403);
  await open("/processes");
  await page.waitForSelector("tr[data-process=sales-deal]");
  assert.equal(await page.$("tr[data-process=delivery-of-goods]"), null);
});

test("a diagram whose names contain <script> shows them as text, and nothing runs", async () => {
  await logIn(ADMIN);
  await page.waitForSelector("tr[data-process=markup]");
  assert.equal(await text("tr[data-process=markup] td:first-child"), "<script>alert('process')</script>");
  await open("/process/markup");
  await page.waitForSelector("#diagram[data-ready=true]");
  assert.match(await text("h1"), /<script>alert\('process'\)<\/script>/);
  assert.match(await text("#diagram svg"), /<script>alert\('task'\)<\/script>/);
  await shot("11-markup-process");
  await open(`/instance/${markupInstance}`);
  await page.waitForSelector("#diagram[data-ready=true]");
  assert.match(await text("tr[data-variable=note]"), /<img src=x onerror=alert\('variable'\)>/);
  await shot("12-markup-instance");
  const task = (await call(srv.base, "GET", `/task?processInstanceId=${markupInstance}`, { headers: auth(...ADMIN) })).json[0];
  await open(`/task/${task.id}`);
  await page.waitForSelector("#diagram[data-ready=true]");
  assert.match(await text("#documentation"), /<script>alert\('documentation'\)<\/script>/);
  assert.match(await text("#task-form"), /<img src=x onerror=alert\('label'\)>/);
  assert.equal(await page.$("#page script, #page img:not([src^=data])"), null);
  await shot("13-markup-task");
  assert.deepEqual(dialogs, []);
});

test("the journal and the reports open", async () => {
  await open("/journal");
  await page.waitForSelector("#journal tr[data-instance]");
  // Started by: the admin started every instance here (the API's start records the user).
  await page.type('#journal-filter input[name=startedBy]', "admin");
  await page.click("#journal-filter button[type=submit]");
  await page.waitForFunction(() => new URLSearchParams(location.search).get("startedBy") === "admin" &&
    document.querySelector("#page[aria-busy=false] #journal tr[data-instance]"));
  const by = await page.$$eval("#journal [data-col=started-by]", (cells) => cells.map((c) => c.textContent));
  assert.ok(by.length >= 6 && by.every((u) => u === "admin"), by.join(","));
  await shot("14-journal");
  await open("/journal?startedBy=sara");
  await page.waitForSelector("#journal-empty");
  assert.equal(await page.$("#journal tr[data-instance]"), null);
  await open("/reports");
  await page.waitForSelector("#groups tr");
  assert.match(await text("#groups"), /sales/);
  // sara claimed the qualification and completed it (the server completes for users with the
  // work right as the operator): she is its performer.
  const sara = await page.$$eval("#performers tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent))
    .filter((c) => c[0] === "sara"));
  assert.equal(sara.length, 1, await text("#performers"));
  assert.equal(sara[0][2], "1"); // completed
  assert.ok(await page.$("canvas#performers-chart"));
  await shot("15-reports");
  // The funnel once a deal has moved on: qualified, its proposal done, negotiating.
  await open("/process/sales-deal");
  await page.waitForSelector("#funnel[data-ready=true]");
  assert.equal(await text("#funnel-table tbody tr:nth-child(2) td:nth-child(3)"), "1"); // proposals completed
  // The heat map: the two stages completed have a median time, the others none.
  await page.waitForSelector("#heat-toggle:not([disabled])");
  await page.click("#heat-toggle");
  await page.waitForSelector("#diagram[data-heat]");
  assert.equal(await page.$eval("#diagram", (d) => d.dataset.heat), "2");
  assert.ok(await page.$(".heat[data-element=Qualification]"));
  assert.ok(await page.$(".heat[data-element=Proposal]"));
  assert.equal(await page.$(".heat[data-element=Negotiation]"), null);
  await shot("16b-heat-map");
  await (await page.$("#funnel")).screenshot({ path: join(SHOTS, "16-funnel-moved-on.png") });
  assert.deepEqual(dialogs, []);
});
