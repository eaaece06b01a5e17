// Fleet exec: `uptime` on 1, 10 and 50 harness sshd hosts (real OpenSSH), on loopback and behind an
// 80 ms round-trip link (_wan.mjs, where Ansible's extra round trips show). infrakt CLI (`server exec`)
// vs Ansible ad-hoc (-m raw, and -m shell with ANSIBLE_PIPELINING=True; forks=50) vs a parallel
// `xargs -P` ssh loop vs a serial `ssh` loop; medians, ratios, client CPU per host, and SSH handshakes
// per server per operation counted in the sshd logs. Targets (80 ms, 50 hosts): ≥ 3× faster than
// `ansible -m shell`, no slower than `xargs -P` ssh, exactly 1 handshake per server. Every tool uses
// the same key and pinned known_hosts (StrictHostKeyChecking=yes) and pays the same remote login
// shell start-up. Ansible comes from Debian (installed here when missing, as root); without it the
// bench says so and compares the rest.
//
//   node bench/fleet-exec.mjs            (or: npm run bench -- fleet-exec)
//   BENCH_RUNS=3 BENCH_SIZES=1,10,50     runs per measurement, fleet sizes
//   BENCH_NETS=loopback,wan              which settings
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureAnsible, loadHarness, machine, median, secs, sshOptions, timed } from './_common.mjs';
import { measureRtt, openWan } from './_wan.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * CPU time (ms) the harness sshd processes spent on connections that ended: a listening `sshd -D`
 * reaps its per-connection processes, which reaped theirs (the login shell, the command), so its
 * cutime+cstime grows by everything a session cost on the "server". Null without /proc.
 */
function serverCpuMs(hosts) {
  let total = 0;
  for (const h of hosts) {
    const pid = h.pid();
    if (!pid) return null;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[13]) + Number(f[14])) * 10; // cutime, cstime in USER_HZ (100 on Linux)
    } catch {
      return null;
    }
  }
  return total;
}

/** Waits (up to 3 s) until no sshd of these hosts has a session process left, so its CPU is counted. */
function sessionsEnded(hosts) {
  const pids = hosts.map((h) => h.pid()).join(',');
  const until = performance.now() + 3_000;
  while (performance.now() < until) {
    if (spawnSync('pgrep', ['-P', pids], { stdio: 'ignore' }).status === 1) return true;
    spawnSync('sleep', ['0.05']);
  }
  return false;
}

async function registerAll(H, home, hosts, names, endpoint) {
  // Setup, not measured: pins the host keys and writes known_hosts. Four at a time (one SQLite file).
  for (let i = 0; i < hosts.length; i += 4) {
    await Promise.all(
      hosts.slice(i, i + 4).map((h, j) => H.registerHarnessServer(home, { ...h, ...endpoint(h) }, names[i + j])),
    );
  }
}

function inventory(dir, label, names, targets, key, knownHosts) {
  const file = join(dir, `inventory-${label}.ini`);
  const lines = names.map((n, i) => `${n} ansible_host=${targets[i].host} ansible_port=${targets[i].port}`);
  writeFileSync(
    file,
    `${lines.join('\n')}\n\n[all:vars]\nansible_user=root\nansible_ssh_private_key_file=${key}\nansible_python_interpreter=/usr/bin/python3\nansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes'\n`,
  );
  return file;
}

export async function run({ root = ROOT, runs = Number(process.env.BENCH_RUNS) || 3, sizes } = {}) {
  const fleetSizes = sizes ?? (process.env.BENCH_SIZES || '1,10,50').split(',').map(Number);
  const nets = (process.env.BENCH_NETS || 'loopback,wan').split(',');
  const maxN = Math.max(...fleetSizes);
  const dir = mkdtempSync(join(tmpdir(), 'ikt-bench-fleet-'));
  process.env.INFRAKT_REPO_ROOT = root;
  const H = await loadHarness(root);
  // Ctrl-C / kill: exit through process.exit so the harness stops every sshd it started.
  const onSignal = () => process.exit(130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  H.ensureSshd();
  const noAnsible = ensureAnsible();
  const wan = await openWan();
  const results = [];
  try {
    const t0 = performance.now();
    const hosts = await H.startSshdFleet(maxN, { extraConfig: wan.sshdConfig });
    await wan.expose(hosts.map((h) => h.port));
    const names = hosts.map((_, i) => `h${String(i + 1).padStart(2, '0')}`);
    const settings = {
      loopback: { endpoint: (h) => ({ host: h.host, port: h.port }), wrap: (c, a) => [c, a] },
      wan: { endpoint: (h) => wan.endpoint(h.port), wrap: wan.wrap },
    };
    for (const net of nets) {
      const s = settings[net];
      if (!s) throw new Error(`unknown BENCH_NETS entry: ${net} (loopback, wan)`);
      s.home = H.makeInfraktHome();
      await registerAll(H, s.home, hosts, names, s.endpoint);
    }
    process.stdout.write(
      `${maxN} sshd hosts up and registered in ${((performance.now() - t0) / 1000).toFixed(1)} s\nmachine: ${machine()}\n`,
    );
    process.stdout.write(`WAN: ${wan.describe}; measured round trip ${measureRtt(wan, hosts[0].port) ?? '?'} ms\n`);
    if (noAnsible) process.stdout.write(`ANSIBLE MISSING: ${noAnsible} — the Ansible rows are left out\n`);
    const key = hosts[0].keyPath;
    mkdirSync(join(dir, 'ansible-tmp'), { recursive: true });

    for (const net of nets) {
      const s = settings[net];
      const knownHosts = join(s.home, 'known_hosts');
      const targets = hosts.map((h) => s.endpoint(h));
      // Every endpoint of a setting is on one address (loopback, or the WAN's): only ports differ.
      const host = targets[0].host;
      if (targets.some((t) => t.host !== host)) throw new Error('endpoints on different addresses');
      const inv = inventory(dir, net, names, targets, key, knownHosts);
      const env = { ...process.env, INFRAKT_HOME: s.home, NO_COLOR: '1', SSH_AUTH_SOCK: '' };
      // Ansible's forks race to create these (unix_listener: No such file or directory): create them first.
      const cp = join(dir, `ansible-cp-${net}`);
      mkdirSync(cp, { recursive: true });
      const ansibleEnv = {
        ...env,
        // Ansible's own ssh defaults, but a master connection that ends with its run
        // (ControlPersist=no): every run starts cold, as every other tool's does, and its sshd
        // sessions end with it (counted in the server CPU).
        ANSIBLE_SSH_ARGS: '-C -o ControlMaster=auto -o ControlPersist=no',
        ANSIBLE_PIPELINING: 'True',
        ANSIBLE_FORKS: '50',
        ANSIBLE_HOST_KEY_CHECKING: 'True',
        ANSIBLE_SSH_CONTROL_PATH_DIR: cp,
        ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-tmp'),
        ANSIBLE_NOCOLOR: '1',
      };
      const ssh = sshOptions(key, knownHosts).join(' ');
      const go = (cmd, args, e = env) => {
        const [c, a] = s.wrap(cmd, args);
        return timed(c, a, { env: e });
      };
      for (const n of fleetSizes) {
        const subset = names.slice(0, n);
        const ports = targets.slice(0, n).map((t) => String(t.port));
        const ansible = (mod) => () =>
          go(
            'ansible',
            ['all', '-i', inv, '--limit', subset.join(','), '-f', '50', '-m', mod, '-a', 'uptime'],
            ansibleEnv,
          );
        const tools = {
          infrakt: () =>
            go(process.execPath, [
              join(root, 'bin', 'infrakt.js'),
              'server',
              'exec',
              '--server',
              subset.join(','),
              '--concurrency',
              '50',
              '--',
              'uptime',
            ]),
          'xargs -P ssh': () =>
            go('sh', [
              '-c',
              `printf '%s\\n' "$@" | xargs -P 50 -I{} ssh ${ssh} -p {} root@${host} uptime`,
              'sh',
              ...ports,
            ]),
          'serial ssh': () =>
            go('sh', [
              '-c',
              `for p in "$@"; do ssh ${ssh} -p "$p" root@${host} uptime || exit 1; done`,
              'sh',
              ...ports,
            ]),
          ...(noAnsible ? {} : { 'ansible -m raw': ansible('raw'), 'ansible -m shell': ansible('shell') }),
        };
        const samples = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
        const cpu = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
        const serverCpu = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
        // A failing peer tool is reported and left out, not fatal (infrakt failing still is).
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
        // The serial loop is only a reference: above 10 hosts it runs once.
        const serialOnce = (k, r) => k === 'serial ssh' && n > 10 && r > 0;
        // Warm-up once each, then alternate tools so drift and background load hit all alike.
        for (const [k, f] of Object.entries(tools)) if (!(k === 'serial ssh' && n > 10)) attempt(k, f);
        for (let r = 0; r < runs; r++) {
          for (const [k, f] of Object.entries(tools)) {
            if (serialOnce(k, r)) continue;
            const before = serverCpuMs(hosts.slice(0, n));
            const t = attempt(k, f);
            if (!t) continue;
            samples[k].push(t.ms);
            if (t.cpuMs !== null) cpu[k].push(t.cpuMs);
            if (before !== null && sessionsEnded(hosts.slice(0, n)))
              serverCpu[k].push((serverCpuMs(hosts.slice(0, n)) - before) / n);
          }
        }
        for (const k of failed) delete samples[k];
        // Behind the relay: round trips each tool waited for on the wire, per host (handshake included).
        const wire = {};
        if (net === 'wan' && wan.mark() !== null) {
          for (const [k, f] of Object.entries(tools)) {
            if (k === 'serial ssh' || failed.has(k)) continue;
            const mark = wan.mark();
            f();
            const rts = wan.roundTripsSince(mark, n);
            if (rts.length) wire[k] = median(rts);
          }
        }
        // Handshakes: connections accepted by the subset's sshd during one infrakt operation.
        const before = hosts.slice(0, n).map((h) => h.connectionCount());
        tools.infrakt();
        const perHost = hosts.slice(0, n).map((h, i) => h.connectionCount() - before[i]);
        const row = {
          net,
          hosts: n,
          runs,
          medianMs: {},
          clientCpuMsPerHost: {},
          handshakesPerServer: { min: Math.min(...perHost), max: Math.max(...perHost) },
          wireRoundTripsPerHost: wire,
        };
        for (const [k, xs] of Object.entries(samples)) row.medianMs[k] = Math.round(median(xs));
        for (const [k, xs] of Object.entries(cpu))
          if (xs.length) row.clientCpuMsPerHost[k] = Math.round(median(xs) / n);
        row.serverCpuMsPerHost = {};
        for (const [k, xs] of Object.entries(serverCpu))
          if (xs.length) row.serverCpuMsPerHost[k] = Math.round(median(xs));
        results.push(row);
        printRow(row);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    wan.close();
    await H.stopAllSshd();
    H.cleanupHomes();
    rmSync(dir, { recursive: true, force: true });
  }
  return summarize(results);
}

function printRow(row) {
  const base = row.medianMs.infrakt;
  process.stdout.write(
    `\n${row.net}, ${row.hosts} host(s), median of ${row.runs} runs (ratio = tool / infrakt; CPU per host = user+sys of the tool and its children, and of the servers' sshd and all under it, / hosts):\n`,
  );
  for (const [k, ms] of Object.entries(row.medianMs)) {
    const ratio = k === 'infrakt' ? '' : `${(ms / base).toFixed(2)}×`;
    const c = row.clientCpuMsPerHost[k];
    const sc = row.serverCpuMsPerHost?.[k];
    const cpu = `${c === undefined ? '' : `client CPU ${c} ms/host`}${sc === undefined ? '' : `, server CPU ${sc} ms/host`}`;
    process.stdout.write(`  ${k.padEnd(18)} ${secs(ms).padStart(8)}  ${ratio.padStart(6)}   ${cpu}\n`);
  }
  const hs = row.handshakesPerServer;
  process.stdout.write(`  handshakes per server per operation (infrakt): ${hs.min}..${hs.max}\n`);
  const wire = Object.entries(row.wireRoundTripsPerHost ?? {});
  if (wire.length)
    process.stdout.write(
      `  round trips on the wire per host, handshake included: ${wire.map(([k, n]) => `${k} ${n}`).join(', ')}\n`,
    );
}

function summarize(results) {
  const oneHandshake = results.every((r) => r.handshakesPerServer.min === 1 && r.handshakesPerServer.max === 1);
  const wanRows = results.filter((r) => r.net === 'wan');
  const big = wanRows.at(-1) ?? results.at(-1);
  const vsXargs = big.medianMs['xargs -P ssh'] / big.medianMs.infrakt;
  const vsShell = big.medianMs['ansible -m shell'] ? big.medianMs['ansible -m shell'] / big.medianMs.infrakt : null;
  const vsRaw = big.medianMs['ansible -m raw'] ? big.medianMs['ansible -m raw'] / big.medianMs.infrakt : null;
  process.stdout.write(
    `\ntargets (${big.net}, ${big.hosts} hosts): vs ansible -m shell ${vsShell?.toFixed(2) ?? 'n/a'}× (≥ 3), vs -m raw ${vsRaw?.toFixed(2) ?? 'n/a'}×, vs xargs -P ${vsXargs.toFixed(2)}× (≥ 1), 1 handshake per server: ${oneHandshake ? 'yes' : 'NO'}\n`,
  );
  const ok = oneHandshake && vsXargs >= 1 && (vsShell === null || vsShell >= 3);
  return { ok, results };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!existsSync(join(ROOT, 'dist', 'cli.js')))
    execFileSync(process.execPath, ['scripts/build.mjs', 'cli'], { cwd: ROOT, stdio: 'inherit' });
  const r = await run();
  process.exitCode = r.ok ? 0 : 1;
}
