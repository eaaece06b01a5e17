// Deploy: `infrakt app deploy` of an image app whose image is already on the server, vs a raw
// `ssh host docker compose up -d` of the same compose file on the same host (harness sshd, real Docker,
// real Caddy on loopback), on loopback and behind an 80 ms round-trip link (_wan.mjs). Prints medians
// and their ratio (target ≤ 1.5×), the time from "deploy" to "new release serving" (seen through Caddy
// with the app's Host header) against the raw command (target ≤ 1.2×), SSH handshakes per deploy
// counted in the sshd log (target 1), round trips per deploy when the job record carries the
// executor's counters (`roundTrips`; target ≤ 6) and, behind the relay, the round trips seen on
// the wire. infrakt runs twice per round: as it is, and with a channel per command
// (INFRAKT_SSH_SHELL=off, the executor before persistent shells). Runs alternate the sides and
// web:1 / web:2, so each creates a container each time and background load hits all alike. Each
// setting has its own sshd "server" (own root, own Caddy ports).
//
//   node bench/deploy.mjs            (or: npm run bench -- deploy)
//   BENCH_RUNS=5                     measured runs per side and setting (after one warm-up each)
//   BENCH_NETS=loopback,wan          which settings
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadHarness, machine, median, secs, sshOptions } from './_common.mjs';
import { measureRtt, openWan } from './_wan.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

function get(port, host) {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', headers: { host }, agent: false, timeout: 2000 },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', () => resolve(''));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function cli(home, args) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'infrakt.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' },
    encoding: 'utf8',
    maxBuffer: 64e6,
  });
  if (r.status !== 0) throw new Error(`infrakt ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-800)}`);
  return r.stdout;
}

/** Runs a deploy (through `wrap`) and measures when Caddy starts answering with `marker` (polled every 5 ms). */
async function deployAndWatch(home, app, httpPort, domain, marker, wrap, extraEnv = {}) {
  const t0 = performance.now();
  const [cmd, args] = wrap(process.execPath, [join(ROOT, 'bin', 'infrakt.js'), 'app', 'deploy', app, '--json']);
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise((r) => child.once('exit', (code) => r(code)));
  let servingMs = null;
  let done = false;
  exited.then(() => {
    done = true;
  });
  while (!done || servingMs === null) {
    if ((await get(httpPort, domain)).includes(marker)) {
      servingMs = performance.now() - t0;
      break;
    }
    if (done && performance.now() - t0 > 30_000) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const code = await exited;
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`deploy exited ${code}: ${err.slice(-800)}`);
  const record = JSON.parse(out);
  const steps = Object.fromEntries(
    (record.steps ?? [])
      .filter((st) => st.startedAt && st.finishedAt)
      .map((st) => [st.name, Date.parse(st.finishedAt) - Date.parse(st.startedAt)]),
  );
  const roundTrips = record.roundTrips ?? null;
  return { ms, servingMs, steps, roundTrips };
}

// infrakt as it is, and with a channel per command (INFRAKT_SSH_SHELL=off: the executor before
// persistent shells), in the same run.
const SIDES = { infrakt: {}, 'infrakt, channel per command': { INFRAKT_SSH_SHELL: 'off' } };

/** One setting: its own server, app and Caddy; infrakt (both ways) and raw alternating. */
async function measure(H, { label, host, endpoint, wrap, runs, wan }) {
  const home = H.makeInfraktHome();
  const server = `ikt-bench-${randomBytes(3).toString('hex')}`;
  const app = `ikt-bench-${randomBytes(3).toString('hex')}`;
  const domain = `${app}.test`;
  const baseProject = `${app}-raw`;
  const [httpPort, httpsPort, adminPort] = [await H.freePort(), await H.freePort(), await H.freePort()];
  const cleanup = () => {
    spawnSync(process.execPath, [join(ROOT, 'bin', 'infrakt.js'), 'app', 'destroy', app, '--force'], {
      cwd: ROOT,
      env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' },
      stdio: 'ignore',
    });
    const ids = execFileSync(DOCKER, ['ps', '-aq', '--filter', `label=com.docker.compose.project=${baseProject}`], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
    if (ids.length) execFileSync(DOCKER, ['rm', '-f', ...ids], { stdio: 'ignore' });
    spawnSync(DOCKER, ['network', 'rm', `${baseProject}_default`], { stdio: 'ignore' });
  };
  try {
    await H.registerHarnessServer(home, { ...host, ...endpoint }, server);
    cli(home, ['server', 'set', server, '--proxy-tls', 'off', '--proxy-http-port', String(httpPort)]);
    cli(home, [
      'server',
      'set',
      server,
      '--proxy-https-port',
      String(httpsPort),
      '--proxy-admin',
      `127.0.0.1:${adminPort}`,
      '--pull-policy',
      'never',
    ]);
    cli(home, ['proxy', 'setup', server]);
    cli(home, [
      'app',
      'create',
      '--server',
      server,
      '--name',
      app,
      '--image',
      'infrakt-test/web:1',
      '--port',
      '3000',
      '--domain',
      domain,
      '--health-path',
      '/health',
    ]);
    // Warm-up deploy; its compose file is the raw baseline's (the release's fixed host port is held
    // by the running release: the baseline lets Docker choose one).
    await deployAndWatch(home, app, httpPort, domain, 'version=v1', wrap);
    const rel = readFileSync(join(host.root, 'apps', app, 'releases', '1', 'docker-compose.yml'), 'utf8');
    const files = [1, 2].map((v) => {
      const f = join(host.root, `raw-${v}.yml`);
      writeFileSync(
        f,
        rel
          .replace(/image: \S+/, `image: infrakt-test/web:${v}`)
          .replace(/127\.0\.0\.1:\d+:(\d+)/g, '127.0.0.1::$1')
          // Not labelled as the app's: infrakt's deploys would count the baseline's containers as an orphaned
          // release of the app and stop them (0.4 s of every other deploy, and the baseline then started afresh).
          .replace(/infrakt\.(app|root|release)(?=\s*[:=])/g, 'bench-baseline.$1'),
      );
      return f;
    });
    const knownHosts = join(home, 'known_hosts');
    const raw = (f) => {
      const remote = `docker compose -p ${baseProject} -f ${f} up -d`;
      const mark = wan?.mark();
      const [c, a] = wrap('ssh', [
        ...sshOptions(host.keyPath, knownHosts),
        '-p',
        String(endpoint.port),
        `root@${endpoint.host}`,
        remote,
      ]);
      const t0 = performance.now();
      execFileSync(c, a, { stdio: 'ignore' });
      const ms = performance.now() - t0;
      if (mark !== undefined && mark !== null) rawWire.push(...wan.roundTripsSince(mark));
      return ms;
    };
    const rawWire = [];
    raw(files[0]);
    rawWire.length = 0;

    const sides = Object.fromEntries(
      Object.keys(SIDES).map((k) => [k, { ms: [], serving: [], handshakes: [], trips: [], wire: [], steps: {} }]),
    );
    const raws = [];
    let version = 1;
    for (let i = 0; i < runs; i++) {
      for (const [side, env] of Object.entries(SIDES)) {
        const d = sides[side];
        version = version === 1 ? 2 : 1;
        cli(home, ['app', 'update', app, '--image', `infrakt-test/web:${version}`]);
        const before = host.connectionCount();
        const mark = wan?.mark();
        const r = await deployAndWatch(home, app, httpPort, domain, `version=v${version}`, wrap, env);
        d.handshakes.push(host.connectionCount() - before);
        if (mark !== undefined && mark !== null) d.wire.push(...wan.roundTripsSince(mark));
        d.ms.push(r.ms);
        d.serving.push(r.servingMs);
        if (r.roundTrips !== null) d.trips.push(r.roundTrips);
        for (const [name, ms] of Object.entries(r.steps)) d.steps[name] = [...(d.steps[name] ?? []), ms];
      }
      raws.push(raw(files[(i + 1) % 2]));
    }

    const mRaw = median(raws);
    const lines = [
      `\n${label}: ${runs} runs per side, alternating (image present, container recreated each run)`,
      `  raw ssh docker compose up -d (same file): median ${secs(mRaw)}  [${raws.map(secs).join(', ')}]${rawWire.length ? `, ${median(rawWire)} round trips on the wire` : ''}`,
    ];
    const out = {};
    for (const [side, d] of Object.entries(sides)) {
      const m = median(d.ms);
      const mServing = median(d.serving.filter((x) => x !== null));
      const hs = median(d.handshakes);
      const rt = d.trips.length ? median(d.trips) : null;
      out[side] = {
        medianMs: m,
        ratio: m / mRaw,
        servingMs: mServing,
        servingRatio: mServing / mRaw,
        handshakes: hs,
        roundTrips: rt,
        wireRoundTrips: d.wire.length ? median(d.wire) : null,
      };
      lines.push(
        `  ${side} app deploy (health-gated, beside the old, Caddy switch, old retired): median ${secs(m)}  [${d.ms.map(secs).join(', ')}]`,
        `    whole deploy / raw: ${(m / mRaw).toFixed(2)}× (target ≤ 1.5×)`,
        `    deploy → new release serving through Caddy: median ${secs(mServing)}, ${(mServing / mRaw).toFixed(2)}× raw (target ≤ 1.2×)`,
        `    SSH handshakes per deploy: ${hs} (target 1) [${d.handshakes.join(', ')}]`,
        `    round trips per deploy: ${rt ?? 'not in the job record (roundTrips)'} (target ≤ 6)${d.wire.length ? `; on the wire, handshake included: ${median(d.wire)} [${d.wire.join(', ')}]` : ''}`,
        `    job steps (median): ${Object.entries(d.steps)
          .map(([n, xs]) => `${n} ${secs(median(xs))}`)
          .join(' | ')}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    const ours = out.infrakt;
    return {
      ok:
        ours.ratio <= 1.5 &&
        ours.servingRatio <= 1.2 &&
        ours.handshakes === 1 &&
        (ours.roundTrips === null || ours.roundTrips <= 6),
      rawMs: mRaw,
      rawWireRoundTrips: rawWire.length ? median(rawWire) : null,
      sides: out,
    };
  } finally {
    cleanup();
  }
}

export async function run({ root = ROOT } = {}) {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const nets = (process.env.BENCH_NETS || 'loopback,wan').split(',');
  process.env.INFRAKT_REPO_ROOT = root;
  const H = await loadHarness(root);
  const onSignal = () => process.exit(130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const wan = await openWan();
  const results = {};
  const hosts = [];
  try {
    process.stdout.write(`machine: ${machine()}\n`);
    for (const net of nets) {
      if (net !== 'loopback' && net !== 'wan') throw new Error(`unknown BENCH_NETS entry: ${net} (loopback, wan)`);
      const host = await H.startSshd({ extraConfig: net === 'wan' ? wan.sshdConfig : [] });
      hosts.push(host);
      if (net === 'wan') {
        await wan.expose([host.port]);
        process.stdout.write(`WAN: ${wan.describe}; measured round trip ${measureRtt(wan, host.port) ?? '?'} ms\n`);
      }
      results[net] = await measure(H, {
        label: net === 'wan' ? `80 ms RTT (${wan.kind})` : 'loopback',
        host,
        endpoint: net === 'wan' ? wan.endpoint(host.port) : { host: host.host, port: host.port },
        wrap: net === 'wan' ? wan.wrap : (c, a) => [c, a],
        runs,
        wan: net === 'wan' ? wan : null,
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const host of hosts) {
      const pidfile = join(host.root, 'caddy', 'caddy.pid');
      if (existsSync(pidfile)) {
        try {
          process.kill(Number(readFileSync(pidfile, 'utf8').trim()), 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
    wan.close();
    await H.stopAllSshd();
    H.cleanupHomes();
  }
  return { ok: Object.values(results).every((r) => r.ok), results };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await run();
  process.exit(r.ok ? 0 : 1);
}
