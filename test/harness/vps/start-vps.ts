// A "fresh VPS" for provisioning tests: the infrakt-test/vps image (Debian trixie, systemd as PID 1,
// OpenSSH, nothing else) booted as a container with the flags that work on these machines
// (notes/test-hosts.md). The container sits on Docker's default bridge: the host reaches it on its
// bridge IP, and apt inside talks only to the host's apt-cacher-ng (baked into the image).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
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
  /** With `hostDocker`: copies an image of this host into the VPS's engine (`docker save | docker load`). */
  loadImage(tag: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartVpsOptions {
  /** OpenSSH public key line authorised for root. */
  readonly publicKey: string;
  readonly image?: string;
  readonly bootTimeoutMs?: number;
  /**
   * A Docker engine inside the VPS without installing it (that takes minutes): this host's engine binaries
   * and the few libraries trixie lacks are mounted read-only, and dockerd runs as a transient systemd unit
   * on the VPS's own /var/lib/docker. Images come in with `loadImage` (never pulled).
   */
  readonly hostDocker?: boolean;
  /** Runs on the created container before it first boots (e.g. `docker cp` files in, as cloud-init would). */
  readonly beforeBoot?: (container: string) => Promise<void>;
}

// Engine binaries of this host (Debian's docker.io) and where the VPS sees them.
const HOST_DOCKER_BINARIES: readonly [string, string][] = [
  ['/usr/sbin/dockerd', 'dockerd'],
  ['/usr/bin/containerd', 'containerd'],
  ['/usr/bin/containerd-shim-runc-v2', 'containerd-shim-runc-v2'],
  ['/usr/sbin/runc', 'runc'],
  ['/usr/bin/docker-init', 'docker-init'],
  ['/usr/sbin/docker-proxy', 'docker-proxy'],
  ['/usr/bin/docker', 'docker'],
];
// dockerd links these; Debian trixie minbase has every other library it needs.
const HOST_DOCKER_LIBS = ['libdevmapper.so.1.02.1', 'libgcrypt.so.20', 'libgpg-error.so.0'];
const COMPOSE_PLUGIN_DIR = '/usr/local/lib/docker/cli-plugins';

function hostDockerMounts(libDir: string): string[] {
  const libSrc = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu'];
  for (const lib of HOST_DOCKER_LIBS) {
    const from = libSrc.map((d) => join(d, lib)).find((p) => existsSync(p));
    if (!from) throw new Error(`hostDocker: ${lib} not found on this host (install docker.io)`);
    copyFileSync(from, join(libDir, lib));
  }
  const mounts = ['-v', `${libDir}:/opt/infrakt-hostlib:ro`];
  for (const [from, name] of HOST_DOCKER_BINARIES) {
    if (!existsSync(from)) throw new Error(`hostDocker: ${from} is missing (install docker.io)`);
    mounts.push('-v', `${from}:/usr/local/bin/${name}:ro`);
  }
  if (existsSync(COMPOSE_PLUGIN_DIR)) mounts.push('-v', `${COMPOSE_PLUGIN_DIR}:${COMPOSE_PLUGIN_DIR}:ro`);
  return mounts;
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
  const libDir = opts.hostDocker ? mkdtempSync(join(tmpdir(), `${name}-lib-`)) : null;
  const cleanupDir = () => {
    rmSync(dockerDir, { recursive: true, force: true });
    if (libDir) rmSync(libDir, { recursive: true, force: true });
  };
  let extra: string[];
  try {
    extra = libDir ? hostDockerMounts(libDir) : [];
  } catch (e) {
    cleanupDir();
    throw e;
  }
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
    ...extra,
    opts.image ?? VPS_IMAGE,
  ]);
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
    if (opts.hostDocker) await startInnerDocker(sh);
    const loadImage = async (tag: string) => {
      const r = await new Promise<ExecResult>((done) => {
        const save = spawn(dockerBin(), ['save', tag], { stdio: ['ignore', 'pipe', 'pipe'] });
        const load = spawn(dockerBin(), ['exec', '-i', containerId, 'docker', 'load', '-q'], {
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let out = '';
        save.stdout.pipe(load.stdin);
        load.stdout.on('data', (b: Buffer) => {
          out += b.toString();
        });
        load.stderr.on('data', (b: Buffer) => {
          out += b.toString();
        });
        load.on('close', (code) => done({ code: code ?? 1, stdout: out, stderr: '' }));
      });
      if (r.code !== 0) throw new Error(`loading ${tag} into the VPS failed: ${r.stdout}`);
    };
    return { ip, port: 22, containerId, name, sh, loadImage, stop };
  } catch (e) {
    const logs = await docker(['logs', '--tail', '30', containerId]);
    await stop();
    throw new Error(`${(e as Error).message}\n--- container log ---\n${logs.stdout}${logs.stderr}`);
  }
}

/** dockerd as a transient unit (systemd-run), answering within the deadline. */
async function startInnerDocker(sh: Vps['sh']): Promise<void> {
  const r = await sh(
    [
      // iptables off: the VPS needs no NAT for loopback-published ports (docker-proxy serves them).
      'systemd-run --unit=infrakt-test-dockerd --setenv=LD_LIBRARY_PATH=/opt/infrakt-hostlib /usr/local/bin/dockerd --iptables=false >/dev/null 2>&1',
      'i=0; while [ $i -lt 150 ]; do docker version --format "{{.Server.Version}}" >/dev/null 2>&1 && exit 0; sleep 0.2; i=$((i+1)); done',
      'journalctl -u infrakt-test-dockerd --no-pager -n 30; exit 1',
    ].join('\n'),
    { timeoutMs: 60_000 },
  );
  if (r.code !== 0) throw new Error(`dockerd did not start in the VPS:\n${r.stdout}${r.stderr}`);
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
