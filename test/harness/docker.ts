// The real Docker engine for integration tests: a client runner, availability checks, the local test
// images (built by scripts/test-setup.sh, never pulled) and cleanup of what a test created.
// Everything a test starts carries a unique `ikt-test-<hex>` name prefix and the `infrakt.test` label.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Images from test/harness/images (env contract: test/harness/images/README.md). */
export const TEST_IMAGES = {
  /** busybox httpd app serving `version=v1`; /health, /env, /cgi-bin/env, PORT, START_DELAY, FAIL_HEALTH, CRASH. */
  web1: 'infrakt-test/web:1',
  /** The same app serving `version=v2`. */
  web2: 'infrakt-test/web:2',
  /** redis-server 7.0 (Debian 12); REDIS_PASSWORD, data in /data, redis-cli inside. */
  redis: 'infrakt-test/redis:7',
  /** PostgreSQL 15 (Debian 12); POSTGRES_PASSWORD/USER/DB like the official image; psql, pg_dump, pg_restore, pg_isready. */
  postgres: 'infrakt-test/postgres:15',
  /** MariaDB 10.11 (Debian 12); MARIADB_ROOT_PASSWORD/DATABASE like the official image; mariadb, mariadb-dump. */
  mariadb: 'infrakt-test/mariadb:10.11',
} as const;

/** Label put on every container runContainer() starts. */
export const TEST_LABEL = 'infrakt.test';

const SETUP_SCRIPT = resolve(import.meta.dirname, '../../scripts/test-setup.sh');
const isCi = () => process.env.CI === 'true';

/** The docker client: INFRAKT_TEST_DOCKER, else docker.io's /usr/bin/docker (a lone client may shadow it on PATH). */
export function dockerBin(): string {
  if (process.env.INFRAKT_TEST_DOCKER) return process.env.INFRAKT_TEST_DOCKER;
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for binary output (e.g. `pg_dump -Fc`). */
  stdoutBytes: Buffer;
}

export interface RunOptions {
  /** Written to stdin, then stdin is closed. Use it for secrets: never put them in argv. */
  input?: string | Buffer;
  /** Kills the process (SIGKILL, by pid) after this long; default 120 s. */
  timeoutMs?: number;
  /** Throw on a non-zero exit (default true). With false, inspect `code` yourself. */
  check?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Runs a program with argv (no shell); rejects on non-zero exit unless `check: false`. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((done, fail) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(new Error(`cannot run ${file}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      const result = {
        code: code ?? 128,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
      };
      if (timedOut) return fail(new Error(`${file} ${args.join(' ')}: timed out after ${timeoutMs} ms`));
      if (result.code !== 0 && opts.check !== false) {
        const why = signal ? `signal ${signal}` : `exit ${result.code}`;
        return fail(new Error(`${file} ${args.join(' ')}: ${why}: ${result.stderr.trim().slice(-2000)}`));
      }
      done(result);
    });
    child.stdin.on('error', () => {}); // the program may exit without reading stdin
    child.stdin.end(opts.input ?? '');
  });
}

/** `docker <args>` with the test client. */
export function docker(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(dockerBin(), args, opts);
}

let engine: Promise<{ ok: true; version: string } | { ok: false; reason: string }> | undefined;
function probeEngine() {
  engine ??= docker(['version', '--format', '{{.Server.Version}}'], { check: false, timeoutMs: 15_000 }).then(
    (r) =>
      r.code === 0 ? { ok: true as const, version: r.stdout.trim() } : { ok: false as const, reason: r.stderr.trim() },
    (e: Error) => ({ ok: false as const, reason: e.message }),
  );
  return engine;
}

/** True when a Docker engine answers the test client. */
export async function dockerAvailable(): Promise<boolean> {
  return (await probeEngine()).ok;
}

/** Throws a clear error when no engine answers (call it in beforeAll; under CI=true that is a failure). */
export async function requireDocker(): Promise<void> {
  const probe = await probeEngine();
  if (!probe.ok) {
    throw new Error(
      `Docker engine not reachable with ${dockerBin()}: ${probe.reason || 'no answer'}\n` +
        'Run `sudo bash scripts/test-setup.sh` (starts dockerd, installs Compose v2, builds the test images).',
    );
  }
}

/**
 * Whether a Docker test file should run: yes when an engine answers, and always under CI=true
 * (requireDocker() then fails it loudly). Use with `describe.skipIf(!(await shouldRunDockerTests()))`.
 */
export async function shouldRunDockerTests(): Promise<boolean> {
  return isCi() || (await dockerAvailable());
}

/** The argv prefix of each Compose flavour the product supports. */
export function composeCommand(flavour: 'v2' | 'v1'): [string, ...string[]] {
  return flavour === 'v2' ? [dockerBin(), 'compose'] : ['docker-compose'];
}

/** Which Compose flavours run here (`docker compose` plugin, `docker-compose` v1). */
export async function composeAvailable(): Promise<{ v2: boolean; v1: boolean }> {
  const works = async (flavour: 'v2' | 'v1') => {
    const [file, ...pre] = composeCommand(flavour);
    return run(file, [...pre, 'version'], { check: false, timeoutMs: 30_000 }).then(
      (r) => r.code === 0,
      () => false,
    );
  };
  const [v2, v1] = await Promise.all([works('v2'), works('v1')]);
  return { v2, v1 };
}

let images: Promise<void> | undefined;
/**
 * Makes sure the test images exist and match their recipes: runs `scripts/test-setup.sh --images-only`
 * (once per test process; < 1 s when nothing changed, seconds when something must be built).
 */
export function ensureTestImages(): Promise<void> {
  images ??= run('bash', [SETUP_SCRIPT, '--images-only'], {
    timeoutMs: 300_000,
    env: { ...process.env, INFRAKT_TEST_DOCKER: dockerBin() },
  }).then(() => undefined);
  return images;
}

/** A unique name for containers, networks, volumes and projects: `ikt-test-<8 hex>` by default. */
export function uniqueName(prefix = 'ikt-test'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface RunContainerOptions {
  image: string;
  name: string;
  /** Passed through a temporary --env-file, so values never appear on a command line. */
  env?: Record<string, string>;
  /** Container ports to publish on 127.0.0.1 with a random host port (read it with publishedPort()). */
  publish?: number[];
  labels?: Record<string, string>;
  network?: string;
  /** `-v` specs, e.g. `${volumeName}:/data`. */
  volumes?: string[];
  /** More `docker run` flags, placed before the image. */
  args?: string[];
  /** Command (after the image). */
  command?: string[];
}

/** `docker run -d --pull never` with the test label; returns the container id. */
export async function runContainer(opts: RunContainerOptions): Promise<string> {
  const args = ['run', '-d', '--pull', 'never', '--name', opts.name, '--label', `${TEST_LABEL}=1`];
  for (const [k, v] of Object.entries(opts.labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const port of opts.publish ?? []) args.push('-p', `127.0.0.1::${port}`);
  if (opts.network) args.push('--network', opts.network);
  for (const v of opts.volumes ?? []) args.push('-v', v);
  let envDir: string | undefined;
  if (opts.env && Object.keys(opts.env).length > 0) {
    envDir = mkdtempSync(join(tmpdir(), 'ikt-test-env-'));
    const lines = Object.entries(opts.env).map(([k, v]) => {
      if (/[\r\n]/.test(v)) throw new Error(`runContainer: env ${k} has a newline (not expressible in --env-file)`);
      return `${k}=${v}\n`;
    });
    writeFileSync(join(envDir, 'env'), lines.join(''), { mode: 0o600 });
    args.push('--env-file', join(envDir, 'env'));
  }
  args.push(...(opts.args ?? []), opts.image, ...(opts.command ?? []));
  try {
    return (await docker(args)).stdout.trim();
  } finally {
    if (envDir) rmSync(envDir, { recursive: true, force: true });
  }
}

/** The 127.0.0.1 host port published for a container port. */
export async function publishedPort(container: string, containerPort: number): Promise<number> {
  const { stdout } = await docker(['port', container, `${containerPort}/tcp`]);
  const m = /^127\.0\.0\.1:(\d+)$/m.exec(stdout);
  if (!m)
    throw new Error(
      `container ${container} publishes ${containerPort}/tcp as ${stdout.trim() || 'nothing'}, not on 127.0.0.1`,
    );
  return Number(m[1]);
}

/** `docker exec -i` argv in a container; `input` goes to stdin (use it for passwords). */
export function dockerExec(container: string, argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  return docker(['exec', '-i', container, ...argv], opts);
}

export interface ContainerState {
  status: string;
  running: boolean;
  exitCode: number;
  health: string | undefined;
}

/** State of a container, or undefined when it does not exist. */
export async function containerState(container: string): Promise<ContainerState | undefined> {
  const fmt =
    '{{.State.Status}}|{{.State.Running}}|{{.State.ExitCode}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}';
  const r = await docker(['inspect', '-f', fmt, container], { check: false });
  if (r.code !== 0) return undefined;
  const [status = '', running, exitCode, health] = r.stdout.trim().split('|');
  return { status, running: running === 'true', exitCode: Number(exitCode), health: health || undefined };
}

/** Polls `probe` until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** GETs a URL until the status (default 200) is seen; returns the body. */
export function waitForHttp(url: string, { status = 200, timeoutMs = 30_000 } = {}): Promise<string> {
  return pollUntil(
    `${url} to answer ${status}`,
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const body = await res.text();
      return res.status === status ? body : undefined;
    },
    { timeoutMs },
  );
}

async function listNames(args: string[]): Promise<{ id: string; name: string }[]> {
  const { stdout } = await docker(args);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', name = ''] = line.split(' ');
      return { id, name };
    });
}

// A short or empty prefix would match other people's resources on a shared engine.
function checkPrefix(prefix: string): void {
  if (prefix.length < 8) throw new Error(`cleanup prefix "${prefix}" is too short to be safe (use uniqueName())`);
}

/** Force-removes containers (and their anonymous volumes) carrying a label (`key` or `key=value`). */
export async function removeContainersByLabel(label: string): Promise<number> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${label}`])).stdout.split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', '-v', ...ids]);
  return ids.length;
}

/** Force-removes containers whose name starts with prefix (compose v1 `p_web_1` and v2 `p-web-1` both match `p`). */
export async function removeContainersByPrefix(prefix: string): Promise<number> {
  checkPrefix(prefix);
  const all = await listNames(['ps', '-a', '--format', '{{.ID}} {{.Names}}']);
  const ids = all.filter((c) => c.name.startsWith(prefix)).map((c) => c.id);
  if (ids.length) await docker(['rm', '-f', '-v', ...ids]);
  return ids.length;
}

/** Removes networks whose name starts with prefix (run after their containers are gone). */
export async function removeNetworksByPrefix(prefix: string): Promise<number> {
  checkPrefix(prefix);
  const all = await listNames(['network', 'ls', '--format', '{{.ID}} {{.Name}}']);
  const ids = all.filter((n) => n.name.startsWith(prefix)).map((n) => n.id);
  if (ids.length) await docker(['network', 'rm', ...ids]);
  return ids.length;
}

/** Removes volumes whose name starts with prefix (run after their containers are gone). */
export async function removeVolumesByPrefix(prefix: string): Promise<number> {
  checkPrefix(prefix);
  const names = (await docker(['volume', 'ls', '-q'])).stdout.split('\n').filter((n) => n.startsWith(prefix));
  if (names.length) await docker(['volume', 'rm', '-f', ...names]);
  return names.length;
}

/** Removes images whose repository starts with prefix (e.g. ones a deploy test built or tagged). */
export async function removeImagesByPrefix(prefix: string): Promise<number> {
  checkPrefix(prefix);
  const all = await listNames(['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']);
  const refs = all.filter((i) => i.name.startsWith(prefix)).map((i) => i.name);
  if (refs.length) await docker(['rmi', '-f', ...refs], { check: false });
  return refs.length;
}

/** Everything named with prefix: containers, then networks, volumes and images. For afterAll. */
export async function cleanupDocker(prefix: string): Promise<void> {
  await removeContainersByPrefix(prefix);
  await removeNetworksByPrefix(prefix);
  await removeVolumesByPrefix(prefix);
  await removeImagesByPrefix(prefix);
}
