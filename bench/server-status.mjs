// `infrakt server status` against `ssh host true` on the same harness sshd, on loopback and behind an
// 80 ms round-trip link (_wan.mjs). Both pay the same TCP and SSH handshake and one start of the
// account's login shell, and run their command in the exec request (server status asks for no persistent
// shell: one command). infrakt adds its CLI start (node, SQLite, ssh2) and the status script itself
// (docker ps above all). Target: ≤ 1.2× in both settings.
// Reference rows (not in the ratio): `infrakt server list` (the CLI with no network), and the
// status script run by plain ssh (what the script costs on the server).
//
//   node bench/server-status.mjs          (or: npm run bench -- server-status)
//   BENCH_RUNS=11                         runs per tool and setting
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadHarness, machine, median, secs, sshOptions, timed } from './_common.mjs';
import { measureRtt, openWan } from './_wan.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TARGET = 1.2;

export async function run({ root = ROOT, runs = Number(process.env.BENCH_RUNS) || 11 } = {}) {
  process.env.INFRAKT_REPO_ROOT = root;
  const H = await loadHarness(root);
  const dir = mkdtempSync(join(tmpdir(), 'ikt-bench-status-'));
  const onSignal = () => process.exit(130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  H.ensureSshd();
  const wan = await openWan();
  const out = { ok: true, settings: {} };
  try {
    const host = await H.startSshd({ extraConfig: wan.sshdConfig });
    await wan.expose([host.port]);
    const home = H.makeInfraktHome();
    const ep = wan.endpoint(host.port);
    await H.registerHarnessServer(home, host, 'st-lo');
    await H.registerHarnessServer(home, { ...host, host: ep.host, port: ep.port }, 'st-wan');
    const rtt = measureRtt(wan, host.port);
    process.stdout.write(`machine: ${machine()}\nWAN: ${wan.describe}; measured round trip ${rtt ?? '?'} ms\n`);

    const env = { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1', SSH_AUTH_SOCK: '' };
    const knownHosts = join(home, 'known_hosts');
    const script = H.render(H.statusCommand(host.root));
    const cli = (args, w) => {
      const [c, a] = w(process.execPath, [join(root, 'bin', 'infrakt.js'), ...args]);
      return () => timed(c, a, { env });
    };
    const ssh = (target, remote, w) => {
      const [c, a] = w('ssh', [
        ...sshOptions(host.keyPath, knownHosts),
        '-p',
        String(target.port),
        `root@${target.host}`,
        remote,
      ]);
      return () => timed(c, a, { env });
    };
    const direct = (c, a) => [c, a];
    const settings = {
      loopback: { name: 'st-lo', target: { host: host.host, port: host.port }, wrap: direct },
      [`${wan.kind === 'netem' ? 'netem' : 'relay'} 80 ms RTT`]: { name: 'st-wan', target: ep, wrap: wan.wrap, wan },
    };
    for (const [label, s] of Object.entries(settings)) {
      const tools = {
        'infrakt server status': cli(['server', 'status', s.name, '--json'], s.wrap),
        'ssh host true': ssh(s.target, 'true', s.wrap),
        'ssh host <status script>': ssh(s.target, script, s.wrap),
        'infrakt server list (no network)': cli(['server', 'list', '--json'], s.wrap),
      };
      const samples = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
      const cpu = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
      for (const f of Object.values(tools)) f(); // warm-up
      // Alternate the tools so that the machine's background load hits all of them alike.
      for (let r = 0; r < runs; r++) {
        for (const [k, f] of Object.entries(tools)) {
          const t = f();
          samples[k].push(t.ms);
          if (t.cpuMs !== null) cpu[k].push(t.cpuMs);
        }
      }
      const m = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
      const best = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, Math.min(...xs)]));
      const ratio = m['infrakt server status'] / m['ssh host true'];
      const bestRatio = best['infrakt server status'] / best['ssh host true'];
      process.stdout.write(`\n${label}, ${runs} runs: median (fastest) — client CPU = user+sys of the tool, median:\n`);
      for (const [k, ms] of Object.entries(m)) {
        const c = cpu[k].length ? `client CPU ${secs(median(cpu[k]))}` : '';
        process.stdout.write(`  ${k.padEnd(34)} ${secs(ms).padStart(8)} (${secs(best[k])})   ${c}\n`);
      }
      process.stdout.write(
        `  ratio server status / ssh host true: ${ratio.toFixed(2)}× of medians, ${bestRatio.toFixed(2)}× of the fastest runs (target ≤ ${TARGET})\n`,
      );
      out.settings[label] = { medianMs: m, fastestMs: best, ratio, fastestRatio: bestRatio };
      if (s.wan && s.wan.mark() !== null) {
        // Behind the relay: the round trips each tool waited for on the wire (handshake included).
        const wire = {};
        for (const k of ['infrakt server status', 'ssh host true']) {
          const mark = s.wan.mark();
          tools[k]();
          wire[k] = s.wan.roundTripsSince(mark)[0];
        }
        process.stdout.write(
          `  round trips on the wire, handshake included: ${Object.entries(wire)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')}\n`,
        );
        out.settings[label].wireRoundTrips = wire;
      }
      if (ratio > TARGET) out.ok = false;
    }

    // What one `server status` costs in SSH terms, counted by the executor itself.
    const row = {
      name: 'st-lo',
      host: host.host,
      port: host.port,
      user: host.user,
      key_path: host.keyPath,
      host_key: host.hostKey,
      host_key_fingerprint: host.fingerprint,
    };
    const ex = await H.connect(row, { singleCommand: true }); // as the service connects
    await ex.run(H.statusCommand(host.root));
    const st = ex.stats();
    await ex.close();
    process.stdout.write(
      `\nserver status over SSH: ${st.handshakes} handshake, ${st.channels} channel, ${st.roundTrips} round trips after the handshake (${st.commands} command)\n`,
    );
    out.stats = st;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    wan.close();
    await H.stopAllSshd();
    H.cleanupHomes();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!existsSync(join(ROOT, 'dist', 'cli.js')))
    execFileSync(process.execPath, ['scripts/build.mjs', 'cli'], { cwd: ROOT, stdio: 'inherit' });
  const r = await run();
  process.exitCode = r.ok ? 0 : 1;
}
