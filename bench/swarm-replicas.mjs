// Swarm replicas: `infrakt app deploy` of a cluster image app with 1, 3 and 6 replicas, vs a raw
// `docker stack deploy` of the same stack file (the one infrakt wrote, under another stack name) followed by a
// wait for the same end point, sent to the same manager over ssh. The lab is test/harness/swarm-nodes.ts: three
// nodes, each a network namespace of its own with its own dockerd and sshd, on a bridge of its own (traffic
// stays on this machine). Images are loaded into every node; nothing is pulled.
//
// Two figures per deploy, for both sides:
//   - "serving": from the start of the command until every replica of the new release runs healthy and no
//     task of the old one is still wanted (observed from this machine on the manager's engine every 250 ms);
//   - "command": until the command returns (infrakt: the job, which also waits for Swarm's rollout to end and
//     brings the edge proxy up to date; raw: `docker stack deploy` + a shell loop until the rollout completed).
// The first deploy (service created) is reported on its own; then BENCH_RUNS rolling updates per side,
// alternating web:2 / web:1 and the sides, medians. The lab is stopped (namespaces, engines, files) at the end.
//
//   node bench/swarm-replicas.mjs      (or: npm run bench -- swarm-replicas)
//   BENCH_RUNS=3                       rolling updates per side and replica count
//   BENCH_REPLICAS=1,3,6               which replica counts
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadHarness, machine, median, secs } from './_common.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = { 1: '127.0.0.1:5000/ikt-test/web:1', 2: '127.0.0.1:5000/ikt-test/web:2' };
const CADDY = '127.0.0.1:5000/ikt-test/caddy:2';
const CLUSTER = 'bench';

function cli(home, args) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'infrakt.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' },
    encoding: 'utf8',
    maxBuffer: 64e6,
  });
  if (r.status !== 0)
    throw new Error(`infrakt ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).slice(-800)}`);
  return r.stdout;
}

/** The raw side's command on the manager: deploy, then wait as a user would until the rollout is over. */
function rawScript(file, stack, image, replicas) {
  const service = `${stack}_app`;
  return [
    'set -e',
    `docker stack deploy --compose-file '${file}' --prune --resolve-image never '${stack}' >/dev/null`,
    'while :; do',
    `  st=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' '${service}')`,
    `  tasks=$(docker service ps --filter desired-state=running --format '{{.Image}}|{{.CurrentState}}' '${service}')`,
    `  ok=$(printf '%s\\n' "$tasks" | awk -F'|' -v img='${image}' '$1 == img && $2 ~ /^Running/' | wc -l)`,
    `  all=$(printf '%s\\n' "$tasks" | grep -c . || true)`,
    `  if [ "$st" != updating ] && [ "$ok" -eq ${replicas} ] && [ "$all" -eq ${replicas} ]; then break; fi`,
    '  sleep 0.5',
    'done',
  ].join('\n');
}

/** Every replica of `image` running (healthy: Swarm says Running only then), nothing older still wanted. */
function allNewRunning(node, service, image, replicas) {
  let out;
  try {
    out = node.docker(
      ['service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Image}}|{{.CurrentState}}', service],
      { timeoutMs: 20_000 },
    );
  } catch {
    return false;
  }
  const rows = out.split('\n').filter(Boolean);
  return rows.length === replicas && rows.every((r) => r.startsWith(`${image}|Running`));
}

/** Runs a command as a child and watches the manager until the new release is all running. */
async function timedDeploy(cmd, args, o) {
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: ROOT, env: o.env, stdio: [o.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  if (o.input) child.stdin.end(o.input);
  let err = '';
  child.stdout.on('data', () => undefined);
  child.stderr.on('data', (d) => {
    err += d;
  });
  /** Set when the command failed: nothing to wait for. */
  let failed = false;
  const exited = new Promise((r) => child.once('exit', (code) => r(code)));
  let commandMs = null;
  exited.then((code) => {
    failed = code !== 0;
    commandMs = performance.now() - t0;
  });
  let servingMs = null;
  const deadline = t0 + 15 * 60_000;
  while (servingMs === null && !failed && performance.now() < deadline) {
    if (allNewRunning(o.manager, o.service, o.image, o.replicas)) servingMs = performance.now() - t0;
    else await new Promise((r) => setTimeout(r, 250));
  }
  const code = await exited;
  if (code !== 0) throw new Error(`${o.label} exited ${code}: ${err.slice(-800)}`);
  return { servingMs: servingMs ?? Number.NaN, commandMs };
}

export async function run() {
  if (process.getuid?.() !== 0) {
    process.stdout.write('swarm-replicas: needs root (network namespaces, dockerd per node)\n');
    return { ok: false };
  }
  const H = await loadHarness(ROOT, ["export * from './test/harness/swarm-nodes.ts';"]);
  if (!H.swarmLabAvailable()) {
    process.stdout.write('swarm-replicas: the lab needs unshare, dockerd and sshd (bash scripts/test-setup.sh)\n');
    return { ok: false };
  }
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const counts = (process.env.BENCH_REPLICAS ?? '1,3,6').split(',').map(Number);
  process.stdout.write(`machine: ${machine()}\n`);
  const t0 = performance.now();
  const lab = await H.startSwarmLab(3);
  const home = mkdtempSync(join(tmpdir(), 'ikt-bench-swarm-'));
  const keyDir = mkdtempSync(join(tmpdir(), 'ikt-bench-swarm-ssh-'));
  const results = [];
  try {
    for (const [image, as] of [
      ['infrakt-test/web:1', WEB[1]],
      ['infrakt-test/web:2', WEB[2]],
      ['infrakt-test/caddy:2', CADDY],
    ]) {
      lab.loadImage(image, as);
    }
    for (const node of lab.nodes) {
      cli(home, ['server', 'add', '--name', node.name, '--host', node.ip, '--key', node.keyPath, '--root', node.root]);
    }
    cli(home, ['cluster', 'create', CLUSTER, '--manager', 'node1', '--workers', 'node2,node3', '--proxy-image', CADDY]);
    const manager = lab.nodes[0];
    process.stdout.write(`lab: 3 nodes, images loaded, cluster created in ${secs(performance.now() - t0)}\n`);
    // The raw side goes over ssh to the same manager, as infrakt does (host key pinned on first contact).
    const knownHosts = join(keyDir, 'known_hosts');
    const ssh = [
      '-i',
      manager.keyPath,
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      `root@${manager.ip}`,
      'sh',
      '-s',
    ];
    const env = { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' };
    for (const n of counts) {
      const app = `r${n}`;
      const raw = `raw-r${n}`;
      cli(home, [
        'app',
        'create',
        '--cluster',
        CLUSTER,
        '--name',
        app,
        '--image',
        WEB[1],
        '--port',
        '3000',
        '--domain',
        `${app}.bench.test`,
        '--replicas',
        String(n),
        '--health-path',
        '/health',
      ]);
      const stackFile = join(manager.root, 'clusters', CLUSTER, 'apps', `${app}.yml`);
      const rawFile = join(manager.root, 'clusters', CLUSTER, `${raw}.yml`);
      let appImage = WEB[1];
      const sides = {
        infrakt: (image) => {
          if (image !== appImage) cli(home, ['app', 'update', app, '--image', image]);
          appImage = image;
          return timedDeploy(process.execPath, [join(ROOT, 'bin', 'infrakt.js'), 'app', 'deploy', app], {
            env,
            manager,
            service: `ikt-${app}_app`,
            image,
            replicas: n,
            label: `infrakt app deploy ${app}`,
          });
        },
        raw: (image) => {
          // The stack file infrakt rendered for this app (same replicas, update policy, health check), with the image.
          const yaml = readFileSync(stackFile, 'utf8').replace(/"127\.0\.0\.1:5000\/ikt-test\/web:\d"/, `"${image}"`);
          writeFileSync(rawFile, yaml, { mode: 0o600 });
          return timedDeploy('ssh', ssh, {
            env: process.env,
            input: rawScript(rawFile, raw, image, n),
            manager,
            service: `${raw}_app`,
            image,
            replicas: n,
            label: `raw docker stack deploy ${raw}`,
          });
        },
      };
      // First deploy: infrakt creates the service (and writes the stack file the raw side then uses).
      const first = { infrakt: await sides.infrakt(WEB[1]), raw: await sides.raw(WEB[1]) };
      const times = { infrakt: [], raw: [] };
      for (let i = 0; i < runs; i++) {
        const image = i % 2 === 0 ? WEB[2] : WEB[1];
        const order = i % 2 === 0 ? ['infrakt', 'raw'] : ['raw', 'infrakt'];
        for (const side of order) times[side].push(await sides[side](image));
      }
      const med = (side, k) => median(times[side].map((t) => t[k]));
      const row = {
        n,
        first,
        infrakt: { serving: med('infrakt', 'servingMs'), command: med('infrakt', 'commandMs') },
        raw: { serving: med('raw', 'servingMs'), command: med('raw', 'commandMs') },
      };
      results.push(row);
      process.stdout.write(
        `${n} replica(s): first deploy infrakt ${secs(first.infrakt.commandMs)} (serving ${secs(first.infrakt.servingMs)}), ` +
          `raw ${secs(first.raw.commandMs)} (serving ${secs(first.raw.servingMs)}); ` +
          `rolling update (median of ${runs}) infrakt ${secs(row.infrakt.command)} (serving ${secs(row.infrakt.serving)}), ` +
          `raw ${secs(row.raw.command)} (serving ${secs(row.raw.serving)}), ratio ${(row.infrakt.command / row.raw.command).toFixed(2)}× ` +
          `(serving ${(row.infrakt.serving / row.raw.serving).toFixed(2)}×)\n`,
      );
    }
    process.stdout.write(
      '\n| replicas | first deploy: infrakt / raw | rolling update: infrakt / raw (ratio) | serving: infrakt / raw (ratio) |\n',
    );
    process.stdout.write('|---|---|---|---|\n');
    for (const r of results) {
      process.stdout.write(
        `| ${r.n} | ${secs(r.first.infrakt.commandMs)} / ${secs(r.first.raw.commandMs)} | ` +
          `${secs(r.infrakt.command)} / ${secs(r.raw.command)} (${(r.infrakt.command / r.raw.command).toFixed(2)}×) | ` +
          `${secs(r.infrakt.serving)} / ${secs(r.raw.serving)} (${(r.infrakt.serving / r.raw.serving).toFixed(2)}×) |\n`,
      );
    }
    process.stdout.write(`machine at the end: ${machine()}\n`);
    return { ok: true };
  } finally {
    await lab.stop();
    rmSync(home, { recursive: true, force: true });
    rmSync(keyDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await run();
  process.exit(r?.ok === false ? 1 : 0);
}
