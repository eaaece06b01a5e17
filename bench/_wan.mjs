// A simulated WAN between the bench's clients and its servers: 80 ms round trips (40 ms each way).
//
// Preferred: `tc netem delay 40ms` on both ends of a veth pair into a network namespace of the
// bench's own (random name, addresses from 10.250.0.0/16 that nothing on the machine uses). The
// clients (infrakt, ssh, ansible) run inside the namespace (`ip netns exec`) and reach the harness
// sshd through the veth, on the root-namespace end's address. The servers stay in the root
// namespace, where Docker publishes ports and Caddy proxies to them on loopback, as on a real host.
// Where the kernel has no netem (qdisc kind unknown, as in some VMs), a userspace relay on loopback
// delays every byte by 40 ms each way instead (_delay-relay.mjs); the bench prints which one ran.
// Either way traffic goes only to loopback or to the bench's own namespace.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const RELAY = fileURLToPath(new URL('./_delay-relay.mjs', import.meta.url));
const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

function usedSubnets() {
  try {
    return ip('-4', 'addr').match(/inet 10\.250\.\d+\./g) ?? [];
  } catch {
    return [];
  }
}

/** Namespace + veth + netem, or null (with the reason) when this machine cannot do it. */
function tryNetem(delayMs) {
  if (process.getuid?.() !== 0) return { reason: 'not root (network namespaces need root)' };
  const id = randomBytes(3).toString('hex');
  const ns = `ikt-wan-${id}`;
  const hostIf = `ikw${id}a`;
  let third;
  const used = usedSubnets().join(' ');
  for (let i = 0; i < 50; i++) {
    const t = 1 + Math.floor(Math.random() * 250);
    if (!used.includes(`10.250.${t}.`)) {
      third = t;
      break;
    }
  }
  if (third === undefined) return { reason: 'no free 10.250.x.0/30 subnet' };
  const hostIp = `10.250.${third}.1`;
  const nsIp = `10.250.${third}.2`;
  const teardown = () => spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'wan0', 'netns', ns);
    ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', 'wan0');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'wan0', 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    execFileSync('tc', ['qdisc', 'add', 'dev', hostIf, 'root', 'netem', 'delay', `${delayMs}ms`], { stdio: 'pipe' });
    ip('netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'wan0', 'root', 'netem', 'delay', `${delayMs}ms`);
  } catch (e) {
    teardown();
    const msg = String(e.stderr || e.message)
      .trim()
      .split('\n')[0];
    return { reason: `tc netem unavailable here (${msg})` };
  }
  return { ns, hostIp, teardown };
}

/**
 * Opens the WAN. Start the servers with `sshdConfig` among their sshd_config lines, then call
 * `expose(ports)` before using `endpoint(port)`; run every client command through `wrap`.
 */
export async function openWan({ delayMs = 40 } = {}) {
  const netem = tryNetem(delayMs);
  if (netem.ns) {
    const { ns, hostIp, teardown } = netem;
    const onExit = () => teardown();
    process.once('exit', onExit);
    return {
      kind: 'netem',
      describe: `tc netem delay ${delayMs}ms on both ends of a veth into namespace ${ns} (clients inside, servers on ${hostIp})`,
      sshdConfig: [`ListenAddress ${hostIp}`],
      async expose() {},
      endpoint: (port) => ({ host: hostIp, port }),
      wrap: (cmd, args) => ['ip', ['netns', 'exec', ns, cmd, ...args]],
      // Round trips are counted by the relay only.
      mark: () => null,
      roundTripsSince: () => null,
      close() {
        process.off('exit', onExit);
        teardown();
      },
    };
  }
  let relay = null;
  let map = {};
  const logDir = mkdtempSync(join(tmpdir(), 'ikt-bench-relay-'));
  const log = join(logDir, 'connections.log');
  writeFileSync(log, '');
  const lines = () => readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const stop = () => relay?.stdin?.end();
  process.once('exit', stop);
  return {
    kind: 'relay',
    describe: `userspace relay on loopback, ${delayMs} ms each way (${netem.reason})`,
    sshdConfig: [],
    async expose(ports) {
      relay = spawn(process.execPath, [RELAY, String(delayMs), log, ...ports.map(String)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const line = await new Promise((resolve, reject) => {
        relay.once('exit', (code) => reject(new Error(`delay relay exited ${code}`)));
        createInterface({ input: relay.stdout }).once('line', resolve);
      });
      map = JSON.parse(line);
    },
    endpoint: (port) => {
      if (!map[port]) throw new Error(`port ${port} was not exposed through the WAN`);
      return { host: '127.0.0.1', port: map[port] };
    },
    wrap: (cmd, args) => [cmd, args],
    /** A position in the relay's connection log. */
    mark: () => lines().length,
    /**
     * Round trips (turns / 2) of the connections that ended since `mark`, once `expected` of them
     * have (polled up to 3 s: the relay logs a connection when the client's side closes).
     */
    roundTripsSince(mark, expected = 1) {
      const until = performance.now() + 3_000;
      let got = lines().slice(mark);
      while (got.length < expected && performance.now() < until) {
        spawnSync('sleep', ['0.05']);
        got = lines().slice(mark);
      }
      return got.map((l) => Math.ceil(Number(l.split(' ')[1]) / 2));
    },
    close() {
      process.off('exit', stop);
      stop();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/**
 * The round trip as the clients see it, through the WAN to an sshd: after its banner, send a line
 * that is not an SSH version and time sshd's answer (it refuses the line at once). Median of 5.
 */
export function measureRtt(wan, port) {
  const { host, port: p } = wan.endpoint(port);
  const script = `
    const net = require('net'); const times = [];
    const once = () => { const c = net.connect(${p}, '${host}'); let t0 = 0;
      c.once('data', () => { t0 = performance.now(); c.write('not-ssh\\r\\n');
        c.once('data', () => { times.push(performance.now() - t0); c.destroy(); next(); }); });
      c.on('error', (e) => { console.error(e.message); process.exit(1); }); };
    const next = () => { if (times.length < 5) return once(); times.sort((a, b) => a - b); console.log(times[2].toFixed(1)); };
    next();`;
  const [c, a] = wan.wrap(process.execPath, ['-e', script]);
  const r = spawnSync(c, a, { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}
