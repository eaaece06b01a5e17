// Fleet exec: `uptime` on 1, 10 and 50 harness sshd hosts (real OpenSSH on loopback).
// infrakt CLI (`server exec`) vs Ansible ad-hoc (-m raw and -m shell, ANSIBLE_PIPELINING=True,
// forks=50) vs a serial `ssh` loop vs a parallel `xargs -P` ssh loop; medians and ratios, plus SSH
// handshakes per operation counted in the sshd logs. Targets: ≥ 5× faster than Ansible, faster
// than xargs -P, exactly 1 handshake per server. Every tool uses the same key and the same pinned
// known_hosts (StrictHostKeyChecking=yes) and pays the same remote login shell start-up.
//
//   node bench/fleet-exec.mjs            (or: npm run bench -- fleet-exec)
//   BENCH_RUNS=5 BENCH_SIZES=1,10,50     runs per measurement, fleet sizes
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// The harness is TypeScript: bundle it once with esbuild (a dev dependency) and import it.
async function loadHarness(root, dir) {
  const { build } = await import(pathToFileURL(join(root, 'node_modules', 'esbuild', 'lib', 'main.js')).href);
  const out = join(dir, 'harness.mjs');
  await build({
    stdin: {
      contents: "export * from './test/harness/sshd.ts'; export * from './test/harness/cli.ts';",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'warning',
  });
  return import(pathToFileURL(out).href);
}

function ensureAnsible() {
  const has = () => spawnSync('sh', ['-c', 'command -v ansible'], { stdio: 'ignore' }).status === 0;
  if (has()) return true;
  if (process.getuid?.() !== 0) return false;
  process.stdout.write('installing ansible (apt-get install --no-install-recommends ansible)…\n');
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ansible'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0 && has();
}

// GNU time (when present) adds the client-side CPU (user+sys of the tool and all its children).
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function timed(cmd, args, opts) {
  const cpuFile = join(tmpdir(), `ikt-bench-cpu-${process.pid}`);
  const [c, a] = GNU_TIME ? [GNU_TIME, ['-f', '%U %S', '-o', cpuFile, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const r = spawnSync(c, a, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64e6, ...opts });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.slice(0, 6).join(' ')}… exited ${r.status}: ${(r.stderr || r.stdout).slice(-600)}`);
  let cpuMs = null;
  if (GNU_TIME) {
    const [u, sy] = readFileSync(cpuFile, 'utf8').trim().split(/\s+/).map(Number);
    cpuMs = Math.round((u + sy) * 1000);
    rmSync(cpuFile, { force: true });
  }
  return { ms, cpuMs, stdout: r.stdout };
}

// What every tool pays per host on the server: root's login shell start-up (bash sources
// ~/.bashrc for ssh sessions; on this image it runs `pyenv init`). Measured locally the way sshd
// starts it (SSH_CLIENT set, no SHLVL).
function loginShellMs() {
  const xs = [];
  const env = { HOME: process.env.HOME ?? '/root', PATH: process.env.PATH, SSH_CLIENT: '127.0.0.1 1 22' };
  for (let i = 0; i < 5; i++) {
    // CPU, not wall time: on a loaded machine wall time says more about the load than the shell.
    const t = GNU_TIME ? timed('bash', ['-c', 'true'], { env }) : null;
    if (t?.cpuMs !== null && t?.cpuMs !== undefined) xs.push(t.cpuMs);
  }
  return xs.length ? Math.round(median(xs)) : null;
}

export async function run({ root = ROOT, runs = Number(process.env.BENCH_RUNS) || 5, sizes } = {}) {
  const fleetSizes = sizes ?? (process.env.BENCH_SIZES || '1,10,50').split(',').map(Number);
  const maxN = Math.max(...fleetSizes);
  const dir = mkdtempSync(join(tmpdir(), 'ikt-bench-fleet-'));
  process.env.INFRAKT_REPO_ROOT = root;
  const H = await loadHarness(root, dir);
  // Ctrl-C / kill: exit through process.exit so the harness stops every sshd it started.
  const onSignal = () => process.exit(130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  H.ensureSshd();
  const withAnsible = ensureAnsible();
  const results = [];
  let hosts = [];
  try {
    const t0 = performance.now();
    hosts = await H.startSshdFleet(maxN);
    const home = H.makeInfraktHome();
    const names = hosts.map((_, i) => `h${String(i + 1).padStart(2, '0')}`);
    // Setup, not measured: register every host (pins the host keys, writes known_hosts).
    for (let i = 0; i < hosts.length; i += 4) {
      await Promise.all(hosts.slice(i, i + 4).map((h, j) => H.registerHarnessServer(home, h, names[i + j])));
    }
    process.stdout.write(`${maxN} sshd hosts up and registered in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const rc = loginShellMs();
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    process.stdout.write(
      `remote floor paid by every tool: login shell start-up ≈ ${rc ?? '?'} ms CPU per command; load average ${load}\n`,
    );
    const key = hosts[0].keyPath;
    const knownHosts = join(home, 'known_hosts');
    const sshOpts = [
      '-i',
      key,
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
    ];
    const env = { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1', SSH_AUTH_SOCK: '' };

    const inventory = join(dir, 'inventory.ini');
    writeFileSync(
      inventory,
      `${hosts.map((h, i) => `${names[i]} ansible_host=127.0.0.1 ansible_port=${h.port}`).join('\n')}\n\n[all:vars]\nansible_user=root\nansible_ssh_private_key_file=${key}\nansible_python_interpreter=/usr/bin/python3\nansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes'\n`,
    );
    // Ansible's forks race to create these (unix_listener: No such file or directory): create them first.
    mkdirSync(join(dir, 'ansible-cp'), { recursive: true });
    mkdirSync(join(dir, 'ansible-tmp'), { recursive: true });
    const ansibleEnv = {
      ...env,
      ANSIBLE_PIPELINING: 'True',
      ANSIBLE_FORKS: '50',
      ANSIBLE_HOST_KEY_CHECKING: 'True',
      ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, 'ansible-cp'),
      ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-tmp'),
      ANSIBLE_NOCOLOR: '1',
    };

    for (const n of fleetSizes) {
      const subset = names.slice(0, n);
      const ports = hosts.slice(0, n).map((h) => String(h.port));
      const tools = {
        infrakt: () =>
          timed(
            process.execPath,
            [
              join(root, 'bin', 'infrakt.js'),
              'server',
              'exec',
              '--server',
              subset.join(','),
              '--concurrency',
              '50',
              '--',
              'uptime',
            ],
            { env },
          ),
        'xargs -P ssh': () =>
          timed(
            'sh',
            [
              '-c',
              `printf '%s\\n' "$@" | xargs -P 50 -I{} ssh ${sshOpts.join(' ')} -p {} root@127.0.0.1 uptime`,
              'sh',
              ...ports,
            ],
            { env },
          ),
        'serial ssh': () =>
          timed(
            'sh',
            [
              '-c',
              `for p in "$@"; do ssh ${sshOpts.join(' ')} -p "$p" root@127.0.0.1 uptime || exit 1; done`,
              'sh',
              ...ports,
            ],
            { env },
          ),
        ...(withAnsible
          ? {
              'ansible -m raw': () =>
                timed(
                  'ansible',
                  ['all', '-i', inventory, '--limit', subset.join(','), '-f', '50', '-m', 'raw', '-a', 'uptime'],
                  { env: ansibleEnv },
                ),
              'ansible -m shell': () =>
                timed(
                  'ansible',
                  ['all', '-i', inventory, '--limit', subset.join(','), '-f', '50', '-m', 'shell', '-a', 'uptime'],
                  { env: ansibleEnv },
                ),
            }
          : {}),
      };
      const samples = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
      const cpu = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
      // Warm-up once each, then alternate tools so drift and background load hit all alike. The
      // serial loop is only a reference: at 50 hosts it runs once.
      // A failing peer tool is reported and skipped, not fatal (infrakt failing still is).
      const failed = new Set();
      const attempt = (k, f) => {
        if (failed.has(k)) return null;
        try {
          return f();
        } catch (e) {
          if (k === 'infrakt') throw e;
          failed.add(k);
          process.stdout.write(
            `  (${k} failed at ${n} hosts, left out: ${String(e.message).split('\n')[0].slice(0, 200)})\n`,
          );
          return null;
        }
      };
      for (const [k, f] of Object.entries(tools)) if (!(k === 'serial ssh' && n >= 50)) attempt(k, f);
      for (let r = 0; r < runs; r++) {
        for (const [k, f] of Object.entries(tools)) {
          if (k === 'serial ssh' && n >= 50 && r > 0) continue;
          const t = attempt(k, f);
          if (!t) continue;
          samples[k].push(t.ms);
          if (t.cpuMs !== null) cpu[k].push(t.cpuMs);
        }
      }
      for (const k of failed) delete samples[k];
      // Handshakes: connections accepted by the subset's sshd during one infrakt operation.
      const before = hosts.slice(0, n).map((h) => h.connectionCount());
      tools.infrakt();
      const perHost = hosts.slice(0, n).map((h, i) => h.connectionCount() - before[i]);
      const row = {
        hosts: n,
        runs,
        medianMs: {},
        clientCpuMs: {},
        handshakesPerServer: { min: Math.min(...perHost), max: Math.max(...perHost) },
      };
      for (const [k, xs] of Object.entries(samples)) row.medianMs[k] = Math.round(median(xs));
      for (const [k, xs] of Object.entries(cpu)) if (xs.length) row.clientCpuMs[k] = Math.round(median(xs));
      results.push(row);
      printRow(row);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await H.stopAllSshd();
    H.cleanupHomes();
    rmSync(dir, { recursive: true, force: true });
  }
  return summarize(results);
}

function printRow(row) {
  const base = row.medianMs.infrakt;
  const head = `${row.hosts} host(s), median of ${row.runs} runs`;
  process.stdout.write(`\n${head} (ratio = tool / infrakt; client CPU = user+sys of the tool and its children):\n`);
  for (const [k, ms] of Object.entries(row.medianMs)) {
    const ratio = k === 'infrakt' ? '' : `${(ms / base).toFixed(2)}×`;
    const cpu = row.clientCpuMs[k] === undefined ? '' : `client CPU ${(row.clientCpuMs[k] / 1000).toFixed(2)} s`;
    process.stdout.write(`  ${k.padEnd(18)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${ratio.padStart(6)}   ${cpu}\n`);
  }
  const hs = row.handshakesPerServer;
  process.stdout.write(`  handshakes per server per operation (infrakt): ${hs.min}..${hs.max}\n`);
}

function summarize(results) {
  const big = results.at(-1);
  const vsXargs = big.medianMs['xargs -P ssh'] / big.medianMs.infrakt;
  const vsAnsible = big.medianMs['ansible -m shell'] ? big.medianMs['ansible -m shell'] / big.medianMs.infrakt : null;
  const vsRaw = big.medianMs['ansible -m raw'] ? big.medianMs['ansible -m raw'] / big.medianMs.infrakt : null;
  const oneHandshake = results.every((r) => r.handshakesPerServer.min === 1 && r.handshakesPerServer.max === 1);
  process.stdout.write(
    `\ntargets at ${big.hosts} hosts: vs ansible -m shell ${vsAnsible?.toFixed(2) ?? 'n/a'}× (≥ 5), vs -m raw ${vsRaw?.toFixed(2) ?? 'n/a'}×, vs xargs -P ${vsXargs.toFixed(2)}× (> 1), 1 handshake per server: ${oneHandshake ? 'yes' : 'NO'}\n`,
  );
  const ok = oneHandshake && vsXargs > 1 && (vsAnsible === null || vsAnsible >= 5);
  return { ok, results };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!existsSync(join(ROOT, 'dist', 'cli.js')))
    execFileSync(process.execPath, ['scripts/build.mjs', 'cli'], { cwd: ROOT, stdio: 'inherit' });
  const r = await run();
  process.exitCode = r.ok ? 0 : 1;
}
