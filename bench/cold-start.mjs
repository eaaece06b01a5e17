// Cold start: `infrakt server list --json` (built bundle, real SQLite state) against `node -e 0`.
// Runs alternate between the two so drift (CPU frequency, other load) hits both alike. Target (issue 19): ratio ≤ 2.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

export const TARGET_RATIO = 2;

function time(argv, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

// CPU time (user+sys) of waited-for children, in ms, from /proc (USER_HZ is 100 on Linux): a figure that,
// unlike wall time, barely moves when other processes compete for the CPUs.
function childCpuMs() {
  if (!existsSync('/proc/self/stat')) return Number.NaN;
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function run({ root, runs = Number(process.env.BENCH_RUNS) || 21, warmup = 3 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-bench-'));
  const env = { ...process.env, INFRAKT_HOME: join(dir, 'home'), NO_COLOR: '1' };
  const cli = [join(root, 'bin', 'infrakt.js'), 'server', 'list', '--json'];
  const bare = ['-e', '0'];
  try {
    time([join(root, 'bin', 'infrakt.js'), 'init'], env);
    const out = time(cli, env).stdout;
    if (!Array.isArray(JSON.parse(out))) throw new Error(`unexpected output: ${out}`);
    for (let i = 0; i < warmup; i++) {
      time(bare, env);
      time(cli, env);
    }
    const node = [];
    const infrakt = [];
    let nodeCpu = 0;
    let cliCpu = 0;
    for (let i = 0; i < runs; i++) {
      let c0 = childCpuMs();
      node.push(time(bare, env).ms);
      const c1 = childCpuMs();
      nodeCpu += c1 - c0;
      infrakt.push(time(cli, env).ms);
      c0 = childCpuMs();
      cliCpu += c0 - c1;
    }
    const cpuRatio = cliCpu / nodeCpu;
    const nodeMs = median(node);
    const cliMs = median(infrakt);
    const ratio = cliMs / nodeMs;
    const ok = ratio <= TARGET_RATIO;
    const fmt = (x) => `${x.toFixed(1)} ms`.padStart(9);
    process.stdout.write(`runs: ${runs} each, alternating (after ${warmup} warm-up pairs); node ${process.version}\n`);
    process.stdout.write(`node -e 0                    median ${fmt(nodeMs)}  min ${fmt(Math.min(...node))}\n`);
    process.stdout.write(`infrakt server list --json   median ${fmt(cliMs)}  min ${fmt(Math.min(...infrakt))}\n`);
    process.stdout.write(`ratio ${ratio.toFixed(2)} (target ≤ ${TARGET_RATIO}): ${ok ? 'ok' : 'TARGET MISSED'}\n`);
    if (Number.isFinite(cpuRatio)) {
      const per = (x) => `${(x / runs).toFixed(1)} ms`;
      process.stdout.write(
        `cpu (user+sys, mean): node ${per(nodeCpu)}, infrakt ${per(cliCpu)}, ratio ${cpuRatio.toFixed(2)}\n`,
      );
    }
    const [load1] = loadavg();
    if (load1 > availableParallelism()) {
      process.stdout.write(
        `note: load average ${load1.toFixed(1)} on ${availableParallelism()} CPUs; wall times are noisy\n`,
      );
    }
    return { ok, runs, nodeMedianMs: nodeMs, cliMedianMs: cliMs, ratio, cpuRatio, target: TARGET_RATIO };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
