// Prints what a first visit downloads (index.html's script and its static imports, gzipped) and the
// lazy chunks; fails if the main bundle passes the budget. Run after `npm run build`.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 350;
const dist = "dist";
const assets = join(dist, "assets");
const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const kb = (bytes) => (bytes / 1024).toFixed(1).padStart(8);

const html = readFileSync(join(dist, "index.html"), "utf8");
const entries = [...html.matchAll(/(?:src|href)="\/static\/app\/assets\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]);

// Follow static imports from the entry (what loads before the first page renders).
const initial = new Set();
const queue = [...entries];
while (queue.length) {
  const name = queue.shift();
  if (initial.has(name)) continue;
  initial.add(name);
  if (!name.endsWith(".js")) continue;
  const code = readFileSync(join(assets, name), "utf8");
  for (const m of code.matchAll(/(?:^|[;\s}])import\s*(?:[\w{},*\s$]+from\s*)?["']\.\/([^"']+)["']/g)) queue.push(m[1]);
}

let initialJs = 0;
let initialCss = 0;
const rows = [];
for (const name of readdirSync(assets).sort()) {
  if (!/\.(js|css)$/.test(name)) continue;
  const file = join(assets, name);
  const size = gz(file);
  if (initial.has(name)) {
    if (name.endsWith(".js")) initialJs += size;
    else initialCss += size;
  }
  rows.push({ name, raw: statSync(file).size, size, initial: initial.has(name) });
}
rows.sort((a, b) => b.size - a.size);
console.log("     raw kB   gzip kB  chunk");
for (const r of rows) console.log(`${kb(r.raw)}  ${kb(r.size)}  ${r.initial ? "* " : "  "}${r.name}`);
console.log(`\n* main bundle (loaded on every first visit): JS ${kb(initialJs).trim()} kB + CSS ${kb(initialCss).trim()} kB gzipped`);
console.log(`  all chunks: ${kb(rows.reduce((s, r) => s + r.size, 0)).trim()} kB gzipped; budget for the main JS: ${BUDGET_KB} kB`);
if (initialJs / 1024 > BUDGET_KB) {
  console.error(`main bundle over budget: ${kb(initialJs).trim()} kB > ${BUDGET_KB} kB`);
  process.exit(1);
}
