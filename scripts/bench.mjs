// Benchmark runner: `npm run bench` runs every bench/*.mjs exporting `run()`, in a fixed order;
// `npm run bench -- <name> [...]` runs only those. Each bench prints its own figures and may return
// `{ ok: false }` when it missed its target (the runner then exits 1). `--no-build` skips the CLI build.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = join(root, 'bench');
// Known benches first, in this order; any other bench/*.mjs after them, alphabetically.
const ORDER = ['cold-start', 'server-status', 'fleet-exec', 'deploy', 'api'];

const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const wanted = args.filter((a) => !a.startsWith('--'));

const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.mjs') && !f.startsWith('_'))
  .map((f) => basename(f, '.mjs'))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

function rank(name) {
  const i = ORDER.indexOf(name);
  return i === -1 ? ORDER.length : i;
}

const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length) {
  process.stderr.write(`error: no such bench: ${unknown.join(', ')}\nhint: available: ${available.join(', ')}\n`);
  process.exit(2);
}
const selected = wanted.length ? available.filter((n) => wanted.includes(n)) : available;

if (build) {
  process.stdout.write('building the CLI (node scripts/build.mjs cli)…\n');
  execFileSync(process.execPath, ['scripts/build.mjs', 'cli'], { cwd: root, stdio: 'inherit' });
}

const summary = [];
for (const name of selected) {
  const mod = await import(pathToFileURL(join(benchDir, `${name}.mjs`)).href);
  if (typeof mod.run !== 'function') {
    process.stdout.write(`\n(skipping ${name}: it exports no run())\n`);
    continue;
  }
  process.stdout.write(`\n=== bench: ${name} ${'='.repeat(Math.max(3, 60 - name.length))}\n`);
  const started = performance.now();
  try {
    const result = await mod.run({ root });
    const ok = !(result && typeof result === 'object' && result.ok === false);
    summary.push({ name, ok, seconds: (performance.now() - started) / 1000 });
  } catch (e) {
    process.stdout.write(`bench ${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    summary.push({ name, ok: false, seconds: (performance.now() - started) / 1000, error: true });
  }
}

process.stdout.write('\n=== summary\n');
for (const s of summary) {
  const verdict = s.error ? 'ERROR' : s.ok ? 'ok' : 'TARGET MISSED';
  process.stdout.write(`${s.name.padEnd(16)} ${verdict.padEnd(14)} ${s.seconds.toFixed(1)} s\n`);
}
process.exitCode = summary.every((s) => s.ok) ? 0 : 1;
