// Dashboard first load: the gzipped JavaScript a browser fetches to show the dashboard page (the `/` route) —
// the entry script of dist/web/index.html, the chunks it preloads, the dashboard page's lazy chunk, and every chunk
// those import statically, each once. Lazy chunks of other pages are not counted (they load when visited).
// Target (issue 19): ≤ 120 KB (KiB, gzip level 9 as a server's static compression would send it).
//
//   node bench/web-first-load.mjs      (or: npm run bench -- web-first-load; needs `npm run build` for dist/web)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const TARGET_KIB = 120;

/** Static imports of a built chunk (`import … from "./x.js"`, `import "./x.js"`), as file names in assets/. */
function staticImports(code) {
  const out = new Set();
  for (const m of code.matchAll(/(?:^|[;\s}])import\s*(?:[^'"();]*?from\s*)?["']\.\/([^"']+\.js)["']/g)) out.add(m[1]);
  return out;
}

export async function run({ root }) {
  const web = join(root, 'dist', 'web');
  const assets = join(web, 'assets');
  if (!existsSync(join(web, 'index.html'))) throw new Error('dist/web is missing: run `npm run build` first');
  const html = readFileSync(join(web, 'index.html'), 'utf8');
  const entry = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]);
  const dashboard = readdirSync(assets).filter((f) => /^dashboard-[\w-]+\.js$/.test(f));
  if (entry.length === 0 || dashboard.length !== 1)
    throw new Error('cannot find the entry script or the dashboard chunk');
  const seen = new Map();
  const visit = (file) => {
    if (seen.has(file)) return;
    const code = readFileSync(join(assets, file));
    seen.set(file, { raw: code.length, gz: gzipSync(code, { level: 9 }).length });
    for (const dep of staticImports(code.toString('utf8'))) visit(dep);
  };
  for (const f of [...entry, ...dashboard]) visit(f);
  const kib = (n) => n / 1024;
  const gz = [...seen.values()].reduce((n, s) => n + s.gz, 0);
  const raw = [...seen.values()].reduce((n, s) => n + s.raw, 0);
  const all = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .reduce((n, f) => n + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
  const ok = kib(gz) <= TARGET_KIB;
  process.stdout.write(
    `dashboard first load: ${seen.size} JS files, ${kib(raw).toFixed(1)} KiB, gzipped ${kib(gz).toFixed(1)} KiB ` +
      `(target ≤ ${TARGET_KIB} KiB): ${ok ? 'ok' : 'TARGET MISSED'}\n`,
  );
  for (const [f, s] of [...seen.entries()].sort((a, b) => b[1].gz - a[1].gz).slice(0, 5))
    process.stdout.write(`  ${f.padEnd(40)} ${kib(s.gz).toFixed(1).padStart(6)} KiB gzipped\n`);
  process.stdout.write(`every JS chunk of the dashboard together: ${kib(all).toFixed(1)} KiB gzipped\n`);
  return { ok, gzippedKiB: kib(gz), files: seen.size, target: TARGET_KIB };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { fileURLToPath } = await import('node:url');
  const r = await run({ root: fileURLToPath(new URL('..', import.meta.url)) });
  process.exitCode = r.ok ? 0 : 1;
}
