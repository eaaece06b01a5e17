// A private Docker engine for tests that need a server whose images differ from this machine's: its own
// dockerd (data root, exec root, pidfile and unix socket in a temp dir; no default bridge, no iptables, no
// forwarding changes), reached by a harness sshd through `SetEnv DOCKER_HOST=unix://…`. User-defined
// networks and loopback-published ports still work (docker-proxy). Nothing is shared with the machine's
// engine, so an image "on the server" is really only there when a test put it there.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
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
process.once('exit', () => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGTERM');
});

/** Starts a dockerd of its own and waits until it answers (a few seconds on a busy machine). */
export async function startPrivateDockerd(deadlineMs = 90_000): Promise<PrivateDockerd> {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-dockerd-'));
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
      'none',
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
    if (child.exitCode !== null) throw new Error(`dockerd exited at start-up (${dir})`);
    if ((await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 })).code === 0) break;
    if (Date.now() > until) throw new Error(`dockerd in ${dir} did not answer within ${deadlineMs} ms`);
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
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      }
      running.delete(child);
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
