// A "fresh VPS" for provisioning tests: the infrakt-test/vps image (Debian trixie, systemd as PID 1,
// OpenSSH, nothing else) booted as a container with the flags that work on these machines
// (notes/test-hosts.md). The container sits on Docker's default bridge: the host reaches it on its
// bridge IP, and apt inside talks only to the host's apt-cacher-ng (baked into the image).
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const VPS_IMAGE = process.env.INFRAKT_VPS_IMAGE ?? 'infrakt-test/vps:trixie';
const SETUP_SCRIPT = resolve(import.meta.dirname, '../../../scripts/test-setup-vps.sh');

export function dockerBin(): string {
  if (process.env.INFRAKT_TEST_DOCKER) return process.env.INFRAKT_TEST_DOCKER;
  // /usr/local/bin/docker on these machines may be a lone client: prefer the packaged one.
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs docker with argv (no shell); resolves for every exit code. */
export function docker(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((done) => {
    const child = execFile(
      dockerBin(),
      args,
      { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/**
 * Builds the image when its recipe changed (a no-op taking < 1 s otherwise). The test setup calls
 * scripts/test-setup-vps.sh too; calling it here keeps a single test file runnable on its own.
 */
export function ensureVpsImage(): void {
  execFileSync('bash', [SETUP_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000 });
}

export interface Vps {
  readonly ip: string;
  readonly port: 22;
  readonly containerId: string;
  readonly name: string;
  /** `docker exec` a shell script inside (as root): for assertions and test setup, not for infrakt itself. */
  sh(script: string, opts?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
  stop(): Promise<void>;
}

export interface StartVpsOptions {
  /** OpenSSH public key line authorised for root. */
  readonly publicKey: string;
  readonly image?: string;
  readonly bootTimeoutMs?: number;
  /** Runs on the created container before it first boots (e.g. `docker cp` files in, as cloud-init would). */
  readonly beforeBoot?: (container: string) => Promise<void>;
}

const RUN_FLAGS = [
  // --privileged fails here (no CAP_SYS_RESOURCE); this set boots systemd and runs nested Docker.
  '--cap-add',
  'ALL',
  '--cap-drop',
  'SYS_RESOURCE',
  '--security-opt',
  'seccomp=unconfined',
  '--security-opt',
  'apparmor=unconfined',
  '--security-opt',
  'systempaths=unconfined',
  '--device-cgroup-rule',
  'a *:* rwm',
  '-v',
  '/sys/fs/cgroup:/sys/fs/cgroup:rw',
  '--tmpfs',
  '/run',
  '--tmpfs',
  '/run/lock',
  '--tmpfs',
  '/tmp',
  '--stop-signal',
  'SIGRTMIN+3',
];

export async function startVps(opts: StartVpsOptions): Promise<Vps> {
  const name = `ikt-test-vps-${randomBytes(4).toString('hex')}`;
  // Nested Docker needs a /var/lib/docker that is not on the container's overlay root.
  const dockerDir = mkdtempSync(join(tmpdir(), `${name}-docker-`));
  const run = await docker([
    'create',
    '--name',
    name,
    '--hostname',
    name.slice('ikt-test-'.length),
    '--label',
    'infrakt.test=vps',
    ...RUN_FLAGS,
    '-v',
    `${dockerDir}:/var/lib/docker`,
    opts.image ?? VPS_IMAGE,
  ]);
  const cleanupDir = () => rmSync(dockerDir, { recursive: true, force: true });
  if (run.code !== 0) {
    cleanupDir();
    throw new Error(`docker run ${VPS_IMAGE} failed: ${run.stderr.trim()} (build it with scripts/test-setup-vps.sh)`);
  }
  const containerId = run.stdout.trim();
  const started = async () => {
    if (opts.beforeBoot) await opts.beforeBoot(containerId);
    const r = await docker(['start', containerId]);
    if (r.code !== 0) throw new Error(`docker start ${name} failed: ${r.stderr.trim()}`);
  };
  const sh: Vps['sh'] = (script, o = {}) =>
    docker(['exec', ...(o.input !== undefined ? ['-i'] : []), containerId, 'sh', '-c', script], o);
  const stop = async () => {
    await docker(['rm', '-f', '-v', containerId], { timeoutMs: 60_000 });
    cleanupDir();
  };
  try {
    await started();
    const inspect = await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', containerId]);
    const ip = inspect.stdout.trim();
    if (!ip) throw new Error(`container ${name} has no bridge IP`);
    const keys = await sh('umask 077 && mkdir -p /root/.ssh && cat > /root/.ssh/authorized_keys', {
      input: `${opts.publicKey.trim()}\n`,
    });
    if (keys.code !== 0) throw new Error(`authorising the test key failed: ${keys.stderr}`);
    await waitForSsh(ip, 22, opts.bootTimeoutMs ?? 60_000);
    return { ip, port: 22, containerId, name, sh, stop };
  } catch (e) {
    const logs = await docker(['logs', '--tail', '30', containerId]);
    await stop();
    throw new Error(`${(e as Error).message}\n--- container log ---\n${logs.stdout}${logs.stderr}`);
  }
}

/** Polls until sshd answers with its banner (host keys are generated on first boot). */
export async function waitForSsh(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    last = await banner(host, port).catch((e: Error) => e.message);
    if (last.startsWith('SSH-2.0-')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`sshd on ${host}:${port} did not answer within ${timeoutMs} ms (last: ${last})`);
}

function banner(host: string, port: number): Promise<string> {
  return new Promise((done, fail) => {
    const sock = tcpConnect({ host, port, timeout: 2000 });
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) {
        sock.destroy();
        done(buf.split('\r\n')[0] ?? buf);
      }
    });
    sock.on('timeout', () => {
      sock.destroy();
      fail(new Error('timeout'));
    });
    sock.on('error', fail);
    sock.on('close', () => fail(new Error(`closed after ${JSON.stringify(buf)}`)));
  });
}
