// Real OpenSSH sshd instances as "remote servers" for integration tests, e2e tests and benchmarks.
// Each instance: own host key, key-only root login, 127.0.0.1 on a free port, everything under a temp
// dir (absolute paths: sshd re-execs from / per connection). See notes/test-hosts.md.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD_BIN = '/usr/sbin/sshd';
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

export type KeyType = 'ed25519' | 'rsa' | 'ecdsa';

export interface ClientKeys {
  readonly dir: string;
  /** Private key paths by type (no passphrase); all are authorised on every harness sshd. */
  readonly ed25519: string;
  readonly rsa: string;
  readonly ecdsa: string;
  /** An ed25519 key protected by `passphrase` (also authorised). */
  readonly encrypted: string;
  readonly passphrase: string;
  /** A key that is NOT authorised anywhere (for SSH_AUTH tests). */
  readonly stranger: string;
  readonly authorizedKeys: string;
}

export interface SshdHost {
  /** 127.0.0.1, or the loopback address it was asked to listen on. */
  readonly host: string;
  readonly port: number;
  readonly user: 'root';
  /** Private key to log in with (the shared client ed25519 key). */
  readonly keyPath: string;
  /** Temp dir of this instance (config, host key, log). */
  readonly dir: string;
  /** Remote state root for this "server" (pass as `server add --root`). */
  readonly root: string;
  readonly logPath: string;
  /** Host public key line `<type> <base64>` and its `SHA256:` fingerprint. */
  hostKey: string;
  fingerprint: string;
  readonly pid: () => number | undefined;
  /** Connections accepted so far, counted from the VERBOSE log. */
  connectionCount(): number;
  /** Stops this sshd and starts another on the same port with a freshly generated host key. */
  restartWithNewHostKey(): Promise<void>;
  stop(): Promise<void>;
}

const isCi = () => process.env.CI === 'true';

let ensured = false;
/** Makes sure sshd can run here: installs openssh-server when missing (root on Debian), creates /run/sshd. */
export function ensureSshd(): void {
  if (ensured) return;
  if (!existsSync(SSHD_BIN) || !existsSync('/usr/bin/ssh-keygen')) {
    const root = process.getuid?.() === 0;
    if (!root || !existsSync('/usr/bin/apt-get')) {
      throw new Error(`openssh-server is missing (${SSHD_BIN}) and cannot be installed here (need root on Debian)`);
    }
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'openssh-server', 'openssh-client'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  ensured = true;
}

/** True when real sshd tests can run; under CI=true anything missing is an error, never a skip. */
export function sshdAvailable(): boolean {
  try {
    ensureSshd();
    return true;
  } catch (e) {
    if (isCi()) throw e;
    return false;
  }
}

function keygen(path: string, type: KeyType, passphrase = ''): void {
  const bits = type === 'rsa' ? ['-b', '3072'] : type === 'ecdsa' ? ['-b', '256'] : [];
  execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', passphrase, '-C', 'infrakt-test', '-f', path], {
    stdio: 'ignore',
  });
}

export function fingerprintOf(pubLine: string): string {
  const b64 = pubLine.trim().split(/\s+/)[1] ?? '';
  return `SHA256:${createHash('sha256').update(Buffer.from(b64, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

let clientKeys: ClientKeys | undefined;
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `ikt-test-${prefix}-`));
  tempDirs.push(d);
  return d;
}

/** Client key pairs for this test process (generated once). */
export function getClientKeys(): ClientKeys {
  if (clientKeys) return clientKeys;
  ensureSshd();
  const dir = tempDir('client');
  const k = (n: string) => join(dir, n);
  keygen(k('id_ed25519'), 'ed25519');
  keygen(k('id_rsa'), 'rsa');
  keygen(k('id_ecdsa'), 'ecdsa');
  const passphrase = 'correct horse battery';
  keygen(k('id_encrypted'), 'ed25519', passphrase);
  keygen(k('id_stranger'), 'ed25519');
  const pubs = ['id_ed25519', 'id_rsa', 'id_ecdsa', 'id_encrypted'].map((n) =>
    readFileSync(`${k(n)}.pub`, 'utf8').trim(),
  );
  const authorizedKeys = k('authorized_keys');
  writeFileSync(authorizedKeys, `${pubs.join('\n')}\n`, { mode: 0o600 });
  clientKeys = {
    dir,
    ed25519: k('id_ed25519'),
    rsa: k('id_rsa'),
    ecdsa: k('id_ecdsa'),
    encrypted: k('id_encrypted'),
    passphrase,
    stranger: k('id_stranger'),
    authorizedKeys,
  };
  return clientKeys;
}

/** Ports this process handed out: the kernel may offer a just-closed one again, and callers take several in a row. */
const handedOut = new Set<number>();

/** A free loopback TCP port (listen on :0, read it, close), never one this process handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const got = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(got));
      });
    });
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function sshdConfig(
  dir: string,
  port: number,
  keys: ClientKeys,
  o: {
    pathDir?: string;
    address?: string;
    authorizedKeys?: string;
    setEnv?: Record<string, string>;
    extra?: readonly string[];
  } = {},
): string {
  const { pathDir, address = '127.0.0.1', authorizedKeys } = o;
  // One SetEnv line: sshd takes the first value of a keyword, so a second SetEnv line would be ignored.
  const env = Object.entries({
    ...(pathDir ? { PATH: `${pathDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` } : {}),
    ...(o.setEnv ?? {}),
  }).map(([k, v]) => `${k}=${v}`);
  return [
    ...(env.length ? [`SetEnv ${env.join(' ')}`] : []),
    `Port ${port}`,
    `ListenAddress ${address}`,
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'UsePAM no',
    `AuthorizedKeysFile ${authorizedKeys ?? keys.authorizedKeys}`,
    'StrictModes no',
    'UseDNS no',
    `Subsystem sftp ${SFTP_SERVER}`,
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    'AllowTcpForwarding yes',
    'LogLevel VERBOSE',
    ...(o.extra ?? []),
    '',
  ].join('\n');
}

const listeningCount = (logPath: string) =>
  existsSync(logPath) ? (readFileSync(logPath, 'utf8').match(/Server listening on/g) ?? []).length : 0;

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  deadlineMs = 10_000,
): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Start sshd in the foreground (-D) so this process owns it; -e is not used so the log goes to -E.
async function launch(dir: string, port: number): Promise<ChildProcess> {
  const logPath = join(dir, 'sshd.log');
  const before = listeningCount(logPath);
  const child = spawn(SSHD_BIN, ['-D', '-f', join(dir, 'sshd_config'), '-E', logPath], { stdio: 'ignore' });
  children.add(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    children.delete(child);
  });
  // Not a TCP probe: that would count as an accepted connection in the log.
  await waitFor(`sshd on port ${port}`, () => {
    if (exited) throw new Error(`sshd exited at start-up: ${tailOf(logPath)}`);
    return listeningCount(logPath) > before;
  });
  return child;
}

const tailOf = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').trim().split('\n').slice(-3).join(' | ') : '');

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const running = new Set<SshdHost>();
const children = new Set<ChildProcess>();
// Never leave an sshd behind, even when the test process exits without afterAll (crash, signal
// handler calling process.exit): kill by pid, synchronously, on exit.
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
});

export interface StartSshdOptions {
  hostKeyType?: KeyType;
  /** A loopback address other than 127.0.0.1 (a "machine" of its own, e.g. for the fake cloud provider). */
  listenAddress?: string;
  /** A fixed port (e.g. 22 on a listenAddress of its own) instead of a free one. */
  port?: number;
  /** Use this OpenSSH private host key (e.g. the one cloud-init user data carries) instead of a generated one. */
  hostKeyPrivate?: string;
  /** authorized_keys content instead of the shared client keys. */
  authorizedKeys?: string;
  /** Hide the Compose v2 plugin from `docker` (PATH set by sshd), so the server only has docker-compose v1. */
  composeV1Only?: boolean;
  /** Environment of every session (sshd `SetEnv`), e.g. DOCKER_HOST of a private engine, GIT_SSL_CAINFO. */
  setEnv?: Record<string, string>;
  /** More sshd_config lines (e.g. a `ForceCommand` for a restricted account). */
  extraConfig?: readonly string[];
}

/** Starts one sshd on a free loopback port. */
export async function startSshd(opts: StartSshdOptions = {}): Promise<SshdHost> {
  ensureSshd();
  const keys = getClientKeys();
  const dir = tempDir('sshd');
  // A "server" with only compose v1: its sessions find a docker CLI without the compose plugin first.
  const pathDir = opts.composeV1Only ? join(dir, 'bin') : undefined;
  if (pathDir) {
    mkdirSync(pathDir);
    writeFileSync(
      join(pathDir, 'docker'),
      [
        '#!/bin/sh',
        '# docker without its compose plugin (this test server has only docker-compose v1)',
        `if [ "\${1:-}" = compose ]; then echo "docker: 'compose' is not a docker command." >&2; exit 1; fi`,
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin exec docker "$@"',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
  }
  const root = join(dir, 'root');
  mkdirSync(root, { mode: 0o755 });
  const keyType = opts.hostKeyType ?? 'ed25519';
  const logPath = join(dir, 'sshd.log');
  let child: ChildProcess | undefined;
  let port = 0;
  const newHostKey = (given?: string) => {
    rmSync(join(dir, 'host_key'), { force: true });
    rmSync(join(dir, 'host_key.pub'), { force: true });
    if (given) {
      writeFileSync(join(dir, 'host_key'), given.endsWith('\n') ? given : `${given}\n`, { mode: 0o600 });
      return execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'host_key')], { encoding: 'utf8' })
        .trim()
        .split(/\s+/)
        .slice(0, 2)
        .join(' ');
    }
    keygen(join(dir, 'host_key'), keyType);
    return readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  };
  let hostKey = newHostKey(opts.hostKeyPrivate);
  let authorized: string | undefined;
  if (opts.authorizedKeys !== undefined) {
    authorized = join(dir, 'authorized_keys');
    writeFileSync(authorized, opts.authorizedKeys, { mode: 0o600 });
  }
  // Another process may take the port between our probe and sshd's bind: retry with a new one.
  for (let attempt = 0; ; attempt++) {
    port = opts.port ?? (await freePort());
    writeFileSync(
      join(dir, 'sshd_config'),
      sshdConfig(dir, port, keys, {
        pathDir,
        address: opts.listenAddress,
        authorizedKeys: authorized,
        ...(opts.setEnv ? { setEnv: opts.setEnv } : {}),
        extra: opts.extraConfig,
      }),
    );
    rmSync(logPath, { force: true });
    try {
      child = await launch(dir, port);
      break;
    } catch (e) {
      if (attempt >= 4 || opts.port !== undefined) throw e;
    }
  }
  const host: SshdHost = {
    host: opts.listenAddress ?? '127.0.0.1',
    port,
    user: 'root',
    keyPath: keys.ed25519,
    dir,
    root,
    logPath,
    hostKey,
    fingerprint: fingerprintOf(hostKey),
    pid: () => child?.pid,
    connectionCount: () =>
      existsSync(logPath)
        ? (readFileSync(logPath, 'utf8').match(/^.*Connection from .* port \d+ on /gm) ?? []).length
        : 0,
    async restartWithNewHostKey() {
      await stopChild(child);
      hostKey = newHostKey();
      host.hostKey = hostKey;
      host.fingerprint = fingerprintOf(hostKey);
      // The old log is kept by appending: sshd -E appends.
      child = await launch(dir, port);
    },
    async stop() {
      running.delete(host);
      await stopChild(child);
      stopServerCaddy(host.root);
    },
  };
  running.add(host);
  return host;
}

/**
 * infrakt's `proxy setup` starts Caddy on a server without systemd with a pidfile under the server
 * root: that Caddy was started by the test, so it ends with the test server.
 */
function stopServerCaddy(root: string): void {
  const pidFile = join(root, 'caddy', 'caddy.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    // Only if it is the Caddy of this root (the pid may have been reused).
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(root)) process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** Starts `n` sshd instances in parallel. */
export async function startSshdFleet(n: number, opts: StartSshdOptions = {}): Promise<SshdHost[]> {
  getClientKeys();
  return Promise.all(Array.from({ length: n }, () => startSshd(opts)));
}

/** Stops every sshd this process started and removes the harness temp dirs. Call from afterAll. */
export async function stopAllSshd(): Promise<void> {
  await Promise.all([...running].map((h) => h.stop()));
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  clientKeys = undefined;
}
