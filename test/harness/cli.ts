// Runs the built CLI (bin/infrakt.js) as a user would, against a temp INFRAKT_HOME, and registers
// harness sshd instances as infrakt servers. Used by e2e tests, other suites and the benchmark.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SshdHost } from './sshd.js';

// Walks up to the infrakt package (this file may also run bundled into a temp file, e.g. by the bench).
function findRepoRoot(): string {
  if (process.env.INFRAKT_REPO_ROOT) return resolve(process.env.INFRAKT_REPO_ROOT);
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let d = start; ; d = dirname(d)) {
      const pkg = join(d, 'package.json');
      if (existsSync(pkg) && /"name":\s*"infrakt"/.test(readFileSync(pkg, 'utf8'))) return d;
      if (dirname(d) === d) break;
    }
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export const REPO_ROOT = findRepoRoot();
export const CLI_BIN = join(REPO_ROOT, 'bin', 'infrakt.js');

/** Builds the dashboard (dist/web) when it is missing: `npm test` builds first; this covers running one file. */
export function ensureWebBuilt(): void {
  if (existsSync(join(REPO_ROOT, 'dist', 'web', 'index.html'))) return;
  execFileSync(process.execPath, ['scripts/build.mjs', 'web'], { cwd: REPO_ROOT, stdio: 'ignore' });
}

/** Builds dist/cli.js when it is missing (`npm test` builds first; this covers running one file). */
export function ensureCliBuilt(): void {
  if (existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) return;
  // A mkdir lock: parallel test files must not build into the same dist/ at once.
  const lock = join(tmpdir(), 'ikt-cli-build.lock');
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > until) throw new Error(`timed out waiting for ${lock}`);
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) {
      execFileSync(process.execPath, ['scripts/build.mjs', 'cli'], { cwd: REPO_ROOT, stdio: 'ignore' });
    }
  } finally {
    rmdirSync(lock);
  }
}

const homes: string[] = [];

/** A fresh temp INFRAKT_HOME (removed by cleanupHomes). */
export function makeInfraktHome(): string {
  const d = mkdtempSync(join(tmpdir(), 'ikt-test-home-'));
  homes.push(d);
  return d;
}

export function cleanupHomes(): void {
  for (const d of homes.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** Runs `infrakt <args>` with INFRAKT_HOME=home (no TTY, NO_COLOR). */
export function runCli(
  args: readonly string[],
  opts: { home: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<CliResult> {
  ensureCliBuilt();
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env, INFRAKT_HOME: opts.home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr, durationMs: Math.round(performance.now() - started) });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface RegisteredServer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly status: string;
  readonly hostKeyFingerprint: string | null;
  readonly root: string;
  readonly probe: { status: string; fingerprint: string | null };
}

/**
 * Registers a harness sshd as an infrakt server via `infrakt server add --json` (key login as root,
 * `--root` = the instance's own remote root dir). The host key gets pinned on first use; throws
 * unless the probe came back ok.
 */
export async function registerHarnessServer(
  home: string,
  host: SshdHost,
  name: string,
  opts: { extraArgs?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<RegisteredServer> {
  const args = ['server', 'add', '--name', name, '--host', host.host, '--port', String(host.port)];
  args.push('--user', host.user, '--key', host.keyPath, '--root', host.root, '--json', ...(opts.extraArgs ?? []));
  const r = await runCli(args, { home, ...(opts.env ? { env: opts.env } : {}) });
  if (r.code !== 0 && !r.stdout.trim().startsWith('{'))
    throw new Error(`server add ${name} failed (exit ${r.code}): ${r.stderr.trim()}`);
  const view = JSON.parse(r.stdout) as RegisteredServer;
  if (view.probe.status === 'ok') return view;
  // A loaded machine can make the first probe time out: re-check (pins on first success).
  for (let attempt = 0; attempt < 2; attempt++) {
    const t = await runCli(['server', 'test', name, '--json'], { home, ...(opts.env ? { env: opts.env } : {}) });
    if (t.code === 0) {
      const shown = await runCli(['server', 'show', name, '--json'], { home });
      return { ...(JSON.parse(shown.stdout) as RegisteredServer), probe: JSON.parse(t.stdout) };
    }
  }
  throw new Error(`server add ${name}: probe ${view.probe.status}`);
}
