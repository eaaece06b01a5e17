// Edge devices behind "NAT" for the edge-server tests: a network namespace of our own joined to this machine by a
// veth pair (a /30 in 10.x picked at random, checked free), firewalled inside so that it accepts no incoming
// connection, only replies to its own outbound ones. Each "device" lives in that network namespace plus a mount
// namespace of its own where /etc and /root are overlays on a temp dir, so the real bootstrap script can install
// its files (/etc/infrakt-edge, the sshd drop-in, root's authorized_keys) without touching this machine.
// Meeting-point sshd instances run on the host side of the veth pair, with a bind-mounted /etc/passwd that knows
// the tunnel user (no user is created on this machine). Everything is removed by pid / by name at the end.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSshd, SSHD_BIN, waitFor } from './sshd.js';

const sh = (cmd: string, args: readonly string[]) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const children = new Set<ChildProcess>();
const namespaces = new Set<string>();
const dirs = new Set<string>();

/** Kills a detached child's whole process group (it was started by this process, so its pid is ours). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

process.once('exit', () => {
  for (const c of children) killGroup(c);
  for (const ns of namespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // gone
    }
  }
});

/** Spawns a detached child (its own process group) with stdout and stderr appended to `logPath`. */
function spawnTracked(cmd: string, args: readonly string[], logPath: string): ChildProcess {
  const fd = openSync(logPath, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  } finally {
    closeSync(fd); // the child has its own copy
  }
}

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `ikt-test-edge-${prefix}-`));
  dirs.add(d);
  return d;
}

export interface EdgeNet {
  readonly ns: string;
  /** The control side's address on the veth pair (what devices dial). */
  readonly hostAddr: string;
  /** The namespace's address (firewalled: nothing gets in). */
  readonly nsAddr: string;
}

/** True when this process can build namespaces (root with ip, iptables, unshare, nsenter); CI must have them. */
export function edgeNetAvailable(): boolean {
  const ok =
    process.getuid?.() === 0 &&
    ['/usr/sbin/ip', '/usr/sbin/iptables', '/usr/bin/unshare', '/usr/bin/nsenter'].every((p) => existsSync(p));
  if (!ok && process.env.CI === 'true') throw new Error('edge tests need root with ip, iptables, unshare and nsenter');
  return ok;
}

/** A /30 in 10.0.0.0/8 that no route of this machine covers yet. */
function freeSubnet(): [string, string] {
  const routes = sh('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (let i = 0; i < 50; i++) {
    const b = randomInt(100, 250);
    const c = randomInt(0, 256);
    const d = randomInt(0, 64) * 4;
    const prefix = `10.${b}.${c}.`;
    if (routes.includes(`10.${b}.`)) continue;
    return [`${prefix}${d + 1}`, `${prefix}${d + 2}`];
  }
  throw new Error('no free 10.x /30 found');
}

export function createEdgeNet(): EdgeNet {
  ensureSshd();
  const id = randomBytes(3).toString('hex');
  const ns = `ikt-edge-${id}`;
  const vh = `ie${id}h`;
  const vd = `ie${id}d`;
  const [hostAddr, nsAddr] = freeSubnet();
  sh('ip', ['netns', 'add', ns]);
  namespaces.add(ns);
  const inNs = (...args: string[]) => sh('ip', ['netns', 'exec', ns, ...args]);
  sh('ip', ['link', 'add', vh, 'type', 'veth', 'peer', 'name', vd]);
  sh('ip', ['link', 'set', vd, 'netns', ns]);
  sh('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', vh]);
  sh('ip', ['link', 'set', vh, 'up']);
  inNs('ip', 'addr', 'add', `${nsAddr}/30`, 'dev', vd);
  inNs('ip', 'link', 'set', vd, 'up');
  inNs('ip', 'link', 'set', 'lo', 'up');
  // Behind NAT: no connection can be opened into the namespace (every new one from outside is dropped); its own
  // connections out work. Not a DROP policy with an ESTABLISHED exception: conntrack flags some packets of a busy
  // long-lived connection INVALID (window tracking), and dropping those stalls the tunnel.
  inNs('iptables', '-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT');
  inNs('iptables', '-A', 'INPUT', '-p', 'tcp', '--syn', '-j', 'DROP');
  inNs('iptables', '-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP');
  return { ns, hostAddr, nsAddr };
}

export interface MeetingPointSshd {
  readonly address: string;
  readonly port: number;
  readonly dir: string;
  /** `<type> <base64>` of its host key, and the .pub file path (for `edge setup --host-key-file`). */
  readonly hostKey: string;
  readonly hostKeyFile: string;
  readonly logPath: string;
  /**
   * Starts sshd: `extraConfig` is the Match block infrakt printed; root logs in with `rootKeys` (a relay) or not at
   * all (the control host). `tunnelUser` exists only in this sshd's mount namespace (a bind-mounted /etc/passwd).
   */
  start(o: { tunnelUser: string; extraConfig: string; rootKeys?: string }): Promise<void>;
  stop(): void;
}

/** A meeting point's host key and port, chosen before its sshd starts (infrakt's set-up output needs them). */
export function newMeetingPoint(address: string): MeetingPointSshd {
  const dir = tempDir('mp');
  const port = randomInt(30000, 60000);
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  const logPath = join(dir, 'sshd.log');
  let child: ChildProcess | undefined;
  return {
    address,
    port,
    dir,
    hostKey: readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' '),
    hostKeyFile: join(dir, 'host_key.pub'),
    logPath,
    async start(o) {
      const passwd = join(dir, 'passwd');
      writeFileSync(
        passwd,
        `${readFileSync('/etc/passwd', 'utf8').trimEnd()}\n${o.tunnelUser}:*:64999:64999::/nonexistent:/usr/sbin/nologin\n`,
      );
      writeFileSync(
        join(dir, 'sshd_config'),
        [
          `Port ${port}`,
          `ListenAddress ${address}`,
          `HostKey ${join(dir, 'host_key')}`,
          `PidFile ${join(dir, 'sshd.pid')}`,
          'PermitRootLogin prohibit-password',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          `AuthorizedKeysFile ${o.rootKeys ?? 'none'}`,
          'StrictModes no',
          'UseDNS no',
          'LogLevel VERBOSE',
          o.extraConfig,
          '',
        ].join('\n'),
      );
      const c = spawnTracked(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mount --bind "$1" /etc/passwd && exec "$2" -D -f "$3" -E "$4"',
          'sh',
          passwd,
          SSHD_BIN,
          join(dir, 'sshd_config'),
          logPath,
        ],
        join(dir, 'out.log'),
      );
      child = c;
      await waitFor(
        `meeting point sshd on ${address}:${port}`,
        () => {
          if (c.exitCode !== null) throw new Error(`sshd exited: ${readFileSync(join(dir, 'out.log'), 'utf8')}`);
          return existsSync(logPath) && readFileSync(logPath, 'utf8').includes('Server listening on');
        },
        20_000,
      );
    },
    stop: () => {
      if (child) killGroup(child);
    },
  };
}

export interface Device {
  readonly dir: string;
  /** Runs a command inside the device (its network and mount namespaces); returns stdout, throws on failure. */
  run(args: readonly string[], opts?: { input?: string }): string;
  /** Starts a long-running command inside the device (own process group); stop() kills it. */
  start(name: string, args: readonly string[]): { child: ChildProcess; log: string; stop(): void };
}

/** A device: a holder process in the namespace with a private mount namespace (overlays on /etc and /root). */
export async function startDevice(net: EdgeNet): Promise<Device> {
  const dir = tempDir('dev');
  for (const d of ['etc-up', 'etc-work', 'root-up', 'root-work']) mkdirSync(join(dir, d));
  // The device's root has a plain shell start-up: this machine's /root/.bashrc runs `pyenv init`, whose rehash
  // lock can hang every later login of a device whose session was killed mid-way.
  writeFileSync(join(dir, 'root-up', '.bashrc'), '# edge test device\n');
  const ready = join(dir, 'ready');
  const holder = spawnTracked(
    'ip',
    [
      'netns',
      'exec',
      net.ns,
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      [
        'set -e',
        'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/etc-up,workdir=$1/etc-work" /etc',
        'mount -t overlay overlay -o "lowerdir=/root,upperdir=$1/root-up,workdir=$1/root-work" /root',
        'touch "$2"',
        'exec sleep 100000',
      ].join('\n'),
      'sh',
      dir,
      ready,
    ],
    join(dir, 'holder.log'),
  );
  await waitFor('device namespace', () => {
    if (holder.exitCode !== null)
      throw new Error(`device holder exited: ${readFileSync(join(dir, 'holder.log'), 'utf8')}`);
    return existsSync(ready);
  });
  const enter = (args: readonly string[]) => ['-t', String(holder.pid), '-m', '-n', '--', ...args];
  return {
    dir,
    run(args, opts = {}) {
      return execFileSync('nsenter', enter(args), {
        encoding: 'utf8',
        input: opts.input ?? '',
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: 60_000,
      });
    },
    start(name, args) {
      const log = join(dir, `${name}.log`);
      const child = spawnTracked('nsenter', enter(args), log);
      return { child, log, stop: () => killGroup(child) };
    },
  };
}

/** Stops every process and namespace the harness started, and removes its temp dirs. */
export function stopEdgeNet(): void {
  for (const c of [...children]) killGroup(c);
  for (const ns of [...namespaces]) {
    // Sessions the devices' sshd started run in their own process groups: end every process in our namespace.
    try {
      for (const pid of sh('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean))
        process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone
    }
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // gone
    }
    namespaces.delete(ns);
  }
  for (const d of [...dirs]) {
    rmSync(d, { recursive: true, force: true });
    dirs.delete(d);
  }
}

export interface DeviceDockerd {
  /** `unix:///…/docker.sock`: the DOCKER_HOST of the device's sessions. */
  readonly host: string;
  /** The docker client against this engine (from this machine: the socket is a file). */
  docker(args: readonly string[], opts?: { input?: Buffer }): string;
  stop(): Promise<void>;
}

const DOCKER_CLIENT = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/**
 * A Docker engine of the device's own, running inside its network and mount namespaces: containers, the ports
 * they publish on 127.0.0.1 (docker-proxy) and their bridge all live on the device side, so a deploy's health check
 * and Caddy route through the tunnel really run there. Its default bridge is one we create inside the namespace
 * (never `--bridge none`: that deletes a link named docker0, and never touches this machine's).
 */
export async function startDeviceDockerd(net: EdgeNet, device: Device): Promise<DeviceDockerd> {
  const dir = tempDir('dockerd');
  const bridge = `ikt-dkb${randomBytes(2).toString('hex')}`;
  const inNs = (...args: string[]) => sh('ip', ['netns', 'exec', net.ns, ...args]);
  inNs('ip', 'link', 'add', 'name', bridge, 'type', 'bridge');
  // Inside our own namespace only (no route of this machine sees it); below freeSubnet's 10.100-250 range, so it
  // never overlaps the namespace's veth /30.
  inNs('ip', 'addr', 'add', '10.99.77.1/24', 'dev', bridge);
  inNs('ip', 'link', 'set', bridge, 'up');
  const sock = join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  // `ip netns exec` gave the device a /sys of its own, without this machine's cgroup (v1) hierarchies: the engine
  // gets them mounted again (the same hierarchies) in a mount namespace of its own inside the device.
  const mounts = [
    'set -e',
    'mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup',
    ...readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('cgroup /sys/fs/cgroup/'))
      .map((l) => {
        const [, where, , opts] = l.split(' ') as [string, string, string, string];
        const keep = opts.split(',').filter((o) => !['rw', 'ro', 'relatime', 'nosuid', 'nodev', 'noexec'].includes(o));
        return `mkdir -p ${where} && mount -t cgroup -o ${keep.join(',')} cgroup ${where}`;
      }),
    'exec "$@"',
  ].join('\n');
  const engine = device.start('dockerd', [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    mounts,
    'sh',
    'dockerd',
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(dir, 'exec'),
    '--pidfile',
    join(dir, 'dockerd.pid'),
    '--host',
    host,
    '--bridge',
    bridge,
    '--iptables=false',
    '--ip-masq=false',
    '--ip-forward=false',
  ]);
  const docker = (args: readonly string[], opts: { input?: Buffer } = {}) =>
    execFileSync(DOCKER_CLIENT, ['-H', host, ...args], {
      encoding: 'utf8',
      input: opts.input ?? '',
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 120_000,
      maxBuffer: 256 * 1024 * 1024,
    }).trim();
  await waitFor(
    'device dockerd',
    () => {
      if (engine.child.exitCode !== null) throw new Error(`device dockerd exited: ${readFileSync(engine.log, 'utf8')}`);
      try {
        docker(['version', '--format', '{{.Server.Version}}']);
        return true;
      } catch {
        return false;
      }
    },
    90_000,
  );
  return {
    host,
    docker,
    async stop() {
      try {
        const ids = docker(['ps', '-aq']).split('\n').filter(Boolean);
        if (ids.length) docker(['rm', '-f', ...ids]);
      } catch {
        // the engine is gone already; its namespace's processes go with stopEdgeNet
      }
      if (engine.child.exitCode === null) {
        const exited = new Promise((r) => engine.child.once('exit', r));
        process.kill(-(engine.child.pid as number), 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      }
      engine.stop();
    },
  };
}
