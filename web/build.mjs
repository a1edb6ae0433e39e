// build.mjs - bundles the web app into dist/ with esbuild: src/main.js (with bpmn-js and
// Chart.js from node_modules) into app.js, src/app.css (with bpmn-js's styles and font) into
// app.css, and src/index.html beside them. Nothing is fetched at run time.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: { app: join(here, "src/main.js"), style: join(here, "src/app.css") },
  outdir: dist,
  bundle: true,
  format: "esm",
  minify: true,
  sourcemap: false,
  target: ["es2020"],
  assetNames: "[name]-[hash]",
  loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file" },
  logLevel: "warning",
  legalComments: "linked",
});
copyFileSync(join(here, "src/index.html"), join(dist, "index.html"));
