// Deploy: `infrakt app deploy` of an image app whose image is already on the server, vs a raw
// `ssh host docker compose up -d` of the same compose file on the same host (harness sshd, real Docker,
// real Caddy on loopback). Prints medians and their ratio (target ≤ 1.5×), SSH handshakes per deploy
// counted in the sshd log (target 1), and the time from "deploy" to "new release serving" (seen through
// Caddy with the app's Host header). Each run alternates web:1 / web:2 so both sides create a container.
//
//   node bench/deploy.mjs            (or: npm run bench -- deploy)
//   BENCH_RUNS=5                     measured runs per side (after one warm-up each)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

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
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'infrakt.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' },
    encoding: 'utf8',
    maxBuffer: 64e6,
  });
  if (r.status !== 0) throw new Error(`infrakt ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-800)}`);
  return { ms: performance.now() - t0, stdout: r.stdout };
}

/** Runs a deploy and measures when Caddy starts answering with `marker` (polled every 5 ms). */
async function deployAndWatch(home, app, httpPort, domain, marker) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'infrakt.js'), 'app', 'deploy', app, '--json'], {
    cwd: ROOT,
    env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' },
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
  return { ms, servingMs, inJobMsToServing: record.result?.msToServing ?? null, steps };
}

export async function run({ root = ROOT } = {}) {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'ikt-bench-deploy-'));
  const H = await loadHarness(root, dir);
  const home = H.makeInfraktHome();
  const host = await H.startSshd();
  const server = `ikt-bench-${randomBytes(3).toString('hex')}`;
  const app = `ikt-bench-${randomBytes(3).toString('hex')}`;
  const domain = `${app}.test`;
  const baseProject = `${app}-raw`;
  const [httpPort, httpsPort, adminPort] = [await H.freePort(), await H.freePort(), await H.freePort()];
  try {
    await H.registerHarnessServer(home, host, server);
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

    // infrakt: one warm-up, then measured deploys alternating the image.
    const ours = [];
    const serving = [];
    const handshakes = [];
    const stepTimes = {};
    let version = 1;
    await deployAndWatch(home, app, httpPort, domain, 'version=v1');
    for (let i = 0; i < runs; i++) {
      version = version === 1 ? 2 : 1;
      cli(home, ['app', 'update', app, '--image', `infrakt-test/web:${version}`]);
      const before = host.connectionCount();
      const r = await deployAndWatch(home, app, httpPort, domain, `version=v${version}`);
      handshakes.push(host.connectionCount() - before);
      ours.push(r.ms);
      serving.push(r.servingMs);
      for (const [name, ms] of Object.entries(r.steps)) {
        stepTimes[name] = [...(stepTimes[name] ?? []), ms];
      }
    }

    // Baseline: the same generated compose file, raw over ssh (same key, pinned known_hosts), alternating images.
    const rel = readFileSync(join(host.root, 'apps', app, 'releases', String(runs + 1), 'docker-compose.yml'), 'utf8');
    const files = [1, 2].map((v) => {
      const f = join(host.root, `raw-${v}.yml`);
      // The release's fixed host port is held by the running release: the baseline lets Docker choose one.
      const raw = rel
        .replace(/image: \S+/, `image: infrakt-test/web:${v}`)
        .replace(/127\.0\.0\.1:\d+:(\d+)/g, '127.0.0.1::$1');
      writeFileSync(f, raw);
      return f;
    });
    const ssh = (remote) => {
      const t0 = performance.now();
      execFileSync(
        'ssh',
        [
          '-i',
          host.keyPath,
          '-p',
          String(host.port),
          '-o',
          `UserKnownHostsFile=${join(home, 'known_hosts')}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'BatchMode=yes',
          'root@127.0.0.1',
          remote,
        ],
        { stdio: 'ignore' },
      );
      return performance.now() - t0;
    };
    const up = (f) => `docker compose -p ${baseProject} -f ${f} up -d`;
    ssh(up(files[0]));
    const raw = [];
    for (let i = 0; i < runs; i++) raw.push(ssh(up(files[(i + 1) % 2])));

    const mOurs = median(ours);
    const mRaw = median(raw);
    const ratio = mOurs / mRaw;
    const hs = median(handshakes);
    const mServing = median(serving.filter((x) => x !== null));
    const f = (ms) => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(
      [
        `runs: ${runs} per side (image present, container recreated each run)`,
        `infrakt app deploy (health-gated, beside the old, Caddy switch, old retired): median ${f(mOurs)}  [${ours.map(f).join(', ')}]`,
        `raw ssh docker compose up -d (same file):                                    median ${f(mRaw)}  [${raw.map(f).join(', ')}]`,
        `ratio: ${ratio.toFixed(2)}× (target ≤ 1.5×)`,
        `SSH handshakes per deploy: ${hs} (target 1) [${handshakes.join(', ')}]`,
        `deploy → new release serving through Caddy: median ${f(mServing)}  [${serving.map((x) => (x === null ? '-' : f(x))).join(', ')}]`,
        `job steps (median): ${Object.entries(stepTimes)
          .map(([n, xs]) => `${n} ${f(median(xs))}`)
          .join(' | ')}`,
        '',
      ].join('\n'),
    );
    return { ok: ratio <= 1.5 && hs === 1, ratio, handshakes: hs, medianMs: mOurs, rawMs: mRaw, servingMs: mServing };
  } finally {
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
    const pidfile = join(host.root, 'caddy', 'caddy.pid');
    if (existsSync(pidfile)) {
      try {
        process.kill(Number(readFileSync(pidfile, 'utf8').trim()), 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await H.stopAllSshd();
    H.cleanupHomes();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await run();
  process.exit(r.ok ? 0 : 1);
}
