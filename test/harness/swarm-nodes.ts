// Machines for Docker Swarm cluster tests: each node is a network namespace of its own (a veth pair onto a
// bridge this harness creates, an address on the test's own /24) with a private mount namespace whose /run
// is the node's own dir, so the node has its own dockerd (own data root, socket /var/run/docker.sock,
// containerd, iptables) and its own OpenSSH sshd on <ip>:22. Traffic stays between this machine and the
// namespaces created here. Nothing is pulled: images are loaded into each node's engine from the host's.
//
// The machine's own engine must not notice: a dockerd that sees the machine's links can delete its `docker0`
// (`--bridge none` does so at start-up, removeDefaultBridgeInterface) and break every other Docker test here.
// So each node's dockerd sees only its node: its network namespace, a private sysfs mounted from inside it
// (so /sys/class/net lists the node's links, not the machine's; the machine's cgroup v1 mounts are carried
// over, dockerd needs them), and a default bridge of our own name created in the node (`--bridge iks…b<i>`),
// so it never creates, looks up or deletes a link called docker0 anywhere.
//
// Why not the systemd "fresh VPS" containers: a nested dockerd on cgroup v1 inside them needs provisioning
// (docker.io from apt, about a minute per node); a dockerd in a namespace starts in ~2 s, and the nodes are
// shared by every test of a file.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSshd, getClientKeys, SSHD_BIN } from './sshd.js';
import { waitForSsh } from './vps/start-vps.js';

export interface SwarmNode {
  readonly name: string;
  /** Address of the node on the test bridge; sshd listens on ip:22. */
  readonly ip: string;
  readonly port: 22;
  readonly user: 'root';
  readonly keyPath: string;
  /** Remote state root for this "server" (`server add --root`). */
  readonly root: string;
  /** The node's engine socket, as seen from this machine. */
  readonly dockerHost: string;
  /** Runs the docker client against this node's engine (from this machine, not over SSH). */
  docker(args: string[], opts?: { input?: Buffer | string; timeoutMs?: number }): string;
  /** Stops the node's dockerd (a node failure); its containers go with it. */
  stopEngine(): Promise<void>;
  /** Starts the node's dockerd again (after stopEngine), inside the node's namespaces, and waits for it. */
  startEngine(): Promise<void>;
}

export interface SwarmLab {
  readonly nodes: SwarmNode[];
  readonly subnet: string;
  /** Loads a host image into every node's engine (`docker save | docker load`), optionally under another tag. */
  loadImage(image: string, as?: string): void;
  /** Runs a shell script inside a node's namespaces (for probes from "outside" the cluster, e.g. curl). */
  inNode(node: SwarmNode, script: string, timeoutMs?: number): string;
  stop(): Promise<void>;
}

const HOST_DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

function run(cmd: string, args: string[], opts: { input?: Buffer | string; timeoutMs?: number } = {}): string {
  return execFileSync(cmd, args, {
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
    maxBuffer: 512 * 1024 * 1024,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** True when this machine can run the lab (root, ip netns, unshare, dockerd, sshd). */
export function swarmLabAvailable(): boolean {
  const ok = process.getuid?.() === 0 && ['/usr/bin/unshare', '/usr/sbin/dockerd', SSHD_BIN].every(existsSync);
  if (!ok && process.env.CI === 'true') throw new Error('the swarm lab needs root, unshare, dockerd and sshd');
  return ok;
}

export async function startSwarmLab(n: number): Promise<SwarmLab> {
  ensureSshd();
  const keys = getClientKeys();
  const id = randomBytes(3).toString('hex');
  // 10.240-249.x.0/24: a random test subnet on a bridge of our own (no route leaves the machine from it).
  const octets = randomBytes(2);
  const subnet = `10.${240 + (octets[0]! % 10)}.${octets[1]!}`;
  const bridge = `iks${id}`;
  const base = join('/tmp', `ikt-swarm-${id}`);
  mkdirSync(base, { recursive: true });
  const children: ChildProcess[] = [];
  const undo: (() => void)[] = [];
  const quiet = (f: () => unknown) => {
    try {
      f();
    } catch {
      // best effort cleanup
    }
  };
  const runDirs: string[] = [];
  const namespaces: string[] = [];
  // Once only: a test may stop the lab to check what it leaves behind, and afterAll stops it again.
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopOnce();
    return stopping;
  };
  const stopOnce = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    // dockerd needs a moment to stop its containers (waited for by pid: a killed one leaves its pidfile);
    // only then are the namespaces emptied.
    const engines: number[] = [];
    for (const d of runDirs) quiet(() => engines.push(...stopDockerd(d)));
    await Promise.all(children.map((c) => waitExit(c, 20_000)));
    await waitUntil(() => !engines.some(alive), 60_000, "the nodes' dockerd to stop").catch(() => undefined);
    // SSH sessions outlive their listener (a client killed mid-command leaves `sshd: root@notty`): end every
    // process still inside the namespaces this lab created, or they keep the namespace and its veth alive.
    for (const ns of namespaces) {
      quiet(() => {
        for (const pid of run('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean))
          process.kill(Number(pid), 'SIGKILL');
      });
    }
    for (const f of undo.reverse()) quiet(f);
    quiet(() => rmSync(base, { recursive: true, force: true }));
  };
  try {
    run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    undo.push(() => run('ip', ['link', 'del', bridge]));
    run('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
    run('ip', ['link', 'set', bridge, 'up']);
    // Docker on this machine sets FORWARD to DROP: let the nodes talk to each other.
    run('iptables', ['-I', 'FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT']);
    undo.push(() => run('iptables', ['-D', 'FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT']));
    const nodes: SwarmNode[] = [];
    for (let i = 1; i <= n; i++) {
      const name = `node${i}`;
      const ns = `${bridge}n${i}`;
      const ip = `${subnet}.${10 + i}`;
      const dir = join(base, name);
      const runDir = join(dir, 'run');
      const root = join(dir, 'root');
      const cgroupHold = join(dir, 'cgroup');
      for (const d of [runDir, root, join(dir, 'docker'), cgroupHold]) mkdirSync(d, { recursive: true });
      run('ip', ['netns', 'add', ns]);
      namespaces.push(ns);
      undo.push(() => run('ip', ['netns', 'del', ns]));
      run('ip', ['link', 'add', `${bridge}h${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      run('ip', ['link', 'set', `${bridge}h${i}`, 'master', bridge, 'up']);
      run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      writeFileSync(join(dir, 'daemon.json'), '{}\n');
      writeFileSync(join(dir, 'sshd_config'), sshdConfig(dir, ip, keys.authorizedKeys));
      run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
      // The engine's default bridge: a name of our own, created inside the node (dockerd requires a non-default
      // bridge to exist); its subnet only has to be free inside the node's namespace.
      const nodeBridge = `${bridge}b${i}`;
      // The node's boot script: its own /run (docker socket, containerd, sshd privsep dir), a sysfs of its own
      // network namespace with the machine's cgroup mounts moved onto it, its own bridge and engine.
      const dockerd =
        `dockerd --data-root ${join(dir, 'docker')} --config-file ${join(dir, 'daemon.json')} --pidfile /run/docker.pid` +
        ` --bridge ${nodeBridge} --cgroup-parent /${ns} >>${join(dir, 'dockerd.log')} 2>&1`;
      const boot = [
        'set -e',
        `hostname ${name}`,
        `mount --bind ${runDir} /run`,
        'mkdir -p /run/sshd',
        `mount --rbind /sys/fs/cgroup ${cgroupHold}`,
        'mount -t sysfs -o nosuid,nodev,noexec sysfs /sys',
        `mount --move ${cgroupHold} /sys/fs/cgroup`,
        // Refuse to go on if this is not the node's own sysfs (the machine's docker0 would be visible).
        `test -e /sys/class/net/eth0 && ! test -e /sys/class/net/${bridge} && ! test -e /sys/class/net/docker0`,
        `ip link add ${nodeBridge} type bridge`,
        `ip addr add 172.29.${i}.1/24 dev ${nodeBridge}`,
        `ip link set ${nodeBridge} up`,
        `${dockerd} &`,
        `exec ${SSHD_BIN} -D -e -f ${join(dir, 'sshd_config')} 2>${join(dir, 'sshd.log')}`,
      ].join('\n');
      // Not `ip netns exec`: it mounts a fresh /sys, hiding the cgroup mounts dockerd needs.
      const child = spawn(
        'unshare',
        ['--mount', '--uts', '--propagation', 'private', 'nsenter', `--net=/run/netns/${ns}`, 'sh', '-c', boot],
        { stdio: 'ignore' },
      );
      children.push(child);
      runDirs.push(runDir);
      const dockerHost = `unix://${join(runDir, 'docker.sock')}`;
      const docker: SwarmNode['docker'] = (args, o = {}) => run(HOST_DOCKER, ['-H', dockerHost, ...args], o);
      nodes.push({
        name,
        ip,
        port: 22,
        user: 'root',
        keyPath: keys.ed25519,
        root,
        dockerHost,
        docker,
        stopEngine: async () => {
          stopDockerd(runDir);
          await waitUntil(() => !existsSync(join(runDir, 'docker.pid')), 30_000, `${name}'s dockerd to stop`);
        },
        startEngine: async () => {
          // The node's sshd (started by the boot script) is inside its mount, UTS and network namespaces: the
          // engine joins them through it, so it sees the node's /run and sysfs as the first one did.
          const sshdPid = readFileSync(join(dir, 'sshd.pid'), 'utf8').trim();
          run('nsenter', ['-t', sshdPid, '-m', '-u', '-n', 'sh', '-c', `${dockerd} </dev/null & echo started`]);
          await waitUntil(() => engineAnswers(docker), 60_000, `${name}'s dockerd to start again`);
        },
      });
    }
    await Promise.all(nodes.map((node) => waitForSsh(node.ip, 22, 30_000)));
    await Promise.all(
      nodes.map((node) => waitUntil(() => engineAnswers(node.docker), 60_000, `${node.name}'s dockerd`)),
    );
    return {
      nodes,
      subnet: `${subnet}.0/24`,
      loadImage(image, as) {
        const tar = execFileSync(HOST_DOCKER, ['save', image], { maxBuffer: 512 * 1024 * 1024 });
        for (const node of nodes) {
          node.docker(['load', '-q'], { input: tar, timeoutMs: 120_000 });
          if (as) node.docker(['tag', image, as]);
        }
      },
      inNode(node, script, timeoutMs = 30_000) {
        return run('ip', ['netns', 'exec', `${bridge}n${nodes.indexOf(node) + 1}`, 'sh', '-c', script], {
          timeoutMs,
        });
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Sends SIGTERM to the node's dockerd (only the one this harness started); returns its pid, if signalled. */
function stopDockerd(runDir: string): number[] {
  const pidFile = join(runDir, 'docker.pid');
  if (!existsSync(pidFile)) return [];
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  // Only the dockerd this harness started (its pidfile lives in the node's run dir).
  if (
    Number.isInteger(pid) &&
    pid > 1 &&
    readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(runDir.replace(/run$/, ''))
  ) {
    process.kill(pid, 'SIGTERM');
    return [pid];
  }
  return [];
}

function engineAnswers(docker: SwarmNode['docker']): boolean {
  try {
    docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** The process runs (not gone, not a zombie waiting for its parent). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function sshdConfig(dir: string, ip: string, authorizedKeys: string): string {
  return [
    `ListenAddress ${ip}`,
    'Port 22',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    `AuthorizedKeysFile ${authorizedKeys}`,
    'StrictModes no',
    'UseDNS no',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    '',
  ].join('\n');
}

async function waitUntil(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function waitExit(c: ChildProcess, ms: number): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const t = setTimeout(done, ms);
    c.once('exit', () => {
      clearTimeout(t);
      done();
    });
  });
}
