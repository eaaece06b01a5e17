// Shared pieces of the benches: the TypeScript harness bundled once, medians, timed child processes
// with their client CPU, ssh options, and a description of the machine the figures come from.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;

/**
 * The harness (sshd, CLI helpers) and the executor are TypeScript: bundle them once with esbuild (a
 * dev dependency) and import the bundle. `extra`: more export lines (another harness a bench needs).
 */
export async function loadHarness(root, extra = []) {
  const { build } = await import(pathToFileURL(join(root, 'node_modules', 'esbuild', 'lib', 'main.js')).href);
  // Inside node_modules so that the external packages resolve from the project's node_modules.
  const out = join(root, 'node_modules', '.cache', 'infrakt-bench', `harness-${process.pid}.mjs`);
  await build({
    stdin: {
      contents: [
        "export * from './test/harness/sshd.ts';",
        "export * from './test/harness/cli.ts';",
        "export { connect } from './src/adapters/connect.ts';",
        "export { statusCommand } from './src/core/commands/server-status.ts';",
        "export { render } from './src/core/cmd/index.ts';",
        ...extra,
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'warning',
    // Runtime dependencies (ssh2 with its native parts, better-sqlite3) stay external.
    packages: 'external',
  });
  try {
    return await import(pathToFileURL(out).href);
  } finally {
    rmSync(out, { force: true });
  }
}

// GNU time (when present) adds the client-side CPU (user+sys of the tool and all its children).
export const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Runs a command to completion: wall ms, client CPU ms (or null), stdout. Throws on a non-zero exit. */
export function timed(cmd, args, opts = {}) {
  const cpuFile = join(tmpdir(), `ikt-bench-cpu-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [c, a] = GNU_TIME ? [GNU_TIME, ['-f', '%U %S', '-o', cpuFile, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const r = spawnSync(c, a, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64e6, ...opts });
  const ms = performance.now() - t0;
  let cpuMs = null;
  if (GNU_TIME && existsSync(cpuFile)) {
    const text = readFileSync(cpuFile, 'utf8').trim().split('\n').at(-1) ?? '';
    const [u, sy] = text.split(/\s+/).map(Number);
    if (Number.isFinite(u) && Number.isFinite(sy)) cpuMs = Math.round((u + sy) * 1000);
    rmSync(cpuFile, { force: true });
  }
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.slice(0, 6).join(' ')}… exited ${r.status}: ${(r.stderr || r.stdout).slice(-600)}`);
  return { ms, cpuMs, stdout: r.stdout };
}

/** OpenSSH client options every ssh-based peer uses: the same key and pinned known_hosts. */
export function sshOptions(keyPath, knownHosts) {
  return [
    '-i',
    keyPath,
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
  ];
}

/** One line about the machine the figures come from. */
export function machine() {
  const c = cpus();
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  return `${c.length} × ${c[0]?.model?.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, node ${process.version}, load average ${load}`;
}

/** Installs Ansible from Debian when missing (root only). Returns a reason when it is not there. */
export function ensureAnsible() {
  const has = () => spawnSync('sh', ['-c', 'command -v ansible'], { stdio: 'ignore' }).status === 0;
  if (has()) return null;
  if (process.getuid?.() !== 0) return 'ansible is not installed and this is not root (apt-get install -y ansible)';
  process.stdout.write('installing ansible (apt-get install -y --no-install-recommends ansible)…\n');
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ansible'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status === 0 && has()) return null;
  return `apt-get install ansible failed (exit ${r.status})`;
}
