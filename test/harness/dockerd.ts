// A private Docker engine for tests that need a server whose images differ from this machine's: its own
// dockerd (data root, exec root, pidfile and unix socket in a temp dir; a default bridge of its own, no
// iptables, no forwarding changes), reached by a harness sshd through `SetEnv DOCKER_HOST=unix://…`.
// User-defined networks and loopback-published ports still work (docker-proxy). Nothing is shared with the
// machine's engine, so an image "on the server" is really only there when a test put it there.
//
// Why not `--bridge none`: a dockerd started that way deletes the link named `docker0` at start-up
// (removeDefaultBridgeInterface), and in this network namespace that is the machine engine's bridge, so
// every later `docker run` here fails. A bridge with our own name and a free /24 avoids that.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateDockerd {
  readonly dir: string;
  /** `unix:///…/docker.sock`: DOCKER_HOST of the engine. */
  readonly host: string;
  /** Runs the docker client against this engine; resolves for every exit code. */
  docker(
    args: string[],
    opts?: { input?: string; timeoutMs?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

const CLIENT = process.env.INFRAKT_TEST_DOCKER ?? (existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker');
const running = new Set<ChildProcess>();
const bridges = new Set<string>();
process.once('exit', () => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGTERM');
  for (const b of bridges) deleteBridge(b);
});

/** The first 10.213.N.0/24 that no route of this machine covers (the engine's default bridge lives there). */
function freeBridgeSubnet(): string {
  const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  for (let n = 1; n < 255; n++) if (!routes.includes(`10.213.${n}.`)) return `10.213.${n}`;
  throw new Error('no free 10.213.N.0/24 for a private dockerd bridge');
}

/** A bridge of our own (ikt-dk-XXXXXX, up, with .1 of a free /24) for the private engine's default network. */
function createBridge(): string {
  const name = `ikt-dk-${Math.random().toString(36).slice(2, 8)}`;
  execFileSync('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
  try {
    execFileSync('ip', ['addr', 'add', `${freeBridgeSubnet()}.1/24`, 'dev', name]);
    execFileSync('ip', ['link', 'set', name, 'up']);
  } catch (e) {
    deleteBridge(name);
    throw e;
  }
  return name;
}

function deleteBridge(name: string): void {
  try {
    execFileSync('ip', ['link', 'del', name], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/** Starts a dockerd of its own and waits until it answers (a few seconds on a busy machine). */
export async function startPrivateDockerd(deadlineMs = 90_000): Promise<PrivateDockerd> {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-dockerd-'));
  const bridge = createBridge();
  bridges.add(bridge);
  const sock = join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  const child = spawn(
    'dockerd',
    [
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
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  running.add(child);
  const docker: PrivateDockerd['docker'] = (args, opts = {}) =>
    new Promise((resolve) => {
      const c = execFile(
        CLIENT,
        ['-H', host, ...args],
        { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
      c.stdin?.end(opts.input ?? '');
    });
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) {
      running.delete(child);
      deleteBridge(bridge);
      bridges.delete(bridge);
      throw new Error(`dockerd exited at start-up (${dir})`);
    }
    if ((await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 })).code === 0) break;
    if (Date.now() > until) {
      child.kill('SIGTERM');
      running.delete(child);
      deleteBridge(bridge);
      bridges.delete(bridge);
      throw new Error(`dockerd in ${dir} did not answer within ${deadlineMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    dir,
    host,
    docker,
    async stop() {
      // Our engine only: its containers first (volumes and networks go with its data root).
      const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', ...ids]);
      // Its networks are bridges in this namespace that outlive the engine: removed here, so their routes do not
      // shrink the machine engine's address pools.
      await docker(['network', 'prune', '-f']);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      }
      running.delete(child);
      deleteBridge(bridge);
      bridges.delete(bridge);
      const pidFile = join(dir, 'dockerd.pid');
      if (existsSync(pidFile) && child.exitCode === null) {
        const pid = Number(readFileSync(pidFile, 'utf8'));
        if (pid === child.pid) child.kill('SIGKILL');
      }
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // a mount dockerd left behind: the temp dir stays, the engine is gone
      }
    },
  };
}
