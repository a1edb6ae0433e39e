// harness.mjs - what the server tests share: a temporary store, `bpmnrt serve --http` started
// on a loopback port the kernel picks (read back from its log line), users added through the
// command (password on standard input), and fetch with Basic credentials. Every server started
// here is stopped by stop(); waits are bounded.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const BIN = process.env.BPMNRT_BIN;
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function tempStore() {
  const dir = mkdtempSync(join(tmpdir(), "bpmnrt-srv-"));
  return { dir, db: join(dir, "store.db"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function cli(db, args, input) {
  const r = spawnSync(BIN, ["--db", db, ...args], { input: input ?? "", encoding: "utf8", timeout: 30000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

export function addUser(db, name, password, extra = []) {
  const r = cli(db, ["user", "add", name, ...extra], password + "\n");
  if (r.code !== 0) throw new Error(`user add ${name}: ${r.err}`);
}

// Starts a server; resolves to {url, base, stop, log()}.
export function serve(db, extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ["--db", db, "serve", "--http", "127.0.0.1:0", ...extra], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error("server did not start: " + log)); }, 15000);
    child.stderr.on("data", (d) => {
      log += d;
      const m = /serving HTTPS? on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m && timer) {
        clearTimeout(timer);
        const url = `http://127.0.0.1:${m[1]}`;
        resolve({
          url, base: url + "/engine-rest", child, log: () => log,
          // Resolves to the exit code; rejects when the sanitizers reported anything (an ASan
          // build of the server is tested the same way).
          stop: (signal = "SIGTERM") => new Promise((res, rej) => {
            const done = (code) => /AddressSanitizer|LeakSanitizer|runtime error:/.test(log)
              ? rej(new Error("the server's sanitizers reported:\n" + log)) : res(code);
            if (child.exitCode !== null || child.signalCode) return done(child.exitCode);
            const kill = setTimeout(() => child.kill("SIGKILL"), 10000);
            child.once("exit", (code) => { clearTimeout(kill); done(code); });
            child.kill(signal);
          }),
        });
      }
    });
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${log}`)); });
  });
}

export function auth(user, password) {
  return { Authorization: "Basic " + Buffer.from(`${user}:${password}`).toString("base64") };
}

export async function call(base, method, path, { body, headers = {}, raw } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    if (body instanceof FormData || raw) init.body = body;
    else { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, json, text };
}

// Deploys files (paths) the way Camunda Modeler does: multipart with a deployment name.
export async function deploy(base, files, headers = {}) {
  const form = new FormData();
  form.append("deployment-name", "test");
  form.append("deployment-source", "Camunda Modeler");
  form.append("deploy-changed-only", "true");
  for (const f of files) {
    const text = typeof f === "string" ? readFileSync(f) : Buffer.from(f.xml);
    form.append(typeof f === "string" ? f.split("/").pop() : f.name, new Blob([text]), typeof f === "string" ? f.split("/").pop() : f.name);
  }
  return call(base, "POST", "/deployment/create", { body: form, headers });
}

export async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}
