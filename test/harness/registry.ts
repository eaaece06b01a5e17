// A real container registry on loopback: Debian's `docker-registry` (distribution 2.8) with htpasswd
// auth (bcrypt from bcryptjs: no password on any command line), its storage in a temp dir.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { freePort, waitFor } from './sshd.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly user: string;
  readonly password: string;
  /** Pushes a local image of this machine's engine as `<host>/<repo>` (logged in with a config of its own). */
  push(localImage: string, repo: string): Promise<string>;
  stop(): Promise<void>;
}

const run = (cmd: string, args: string[], input?: string) =>
  new Promise<{ code: number; out: string }>((resolve) => {
    const c = execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (e, so, se) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out: `${so}${se}` }),
    );
    c.stdin?.end(input ?? '');
  });

export async function startRegistry(docker: string): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-registry-'));
  const user = 'ikt';
  const password = `pw-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  writeFileSync(join(dir, 'htpasswd'), `${user}:${bcrypt.hashSync(password, 5)}\n`);
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    writeFileSync(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log: { level: error }',
        `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
        `http: { addr: 127.0.0.1:${port} }`,
        `auth: { htpasswd: { realm: ikt-test, path: ${join(dir, 'htpasswd')} } }`,
        '',
      ].join('\n'),
    );
    child = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    const c = child;
    try {
      await waitFor(
        `docker-registry on ${port}`,
        () =>
          new Promise<boolean>((resolve) => {
            if (c.exitCode !== null) return resolve(false);
            const s = connect(port, '127.0.0.1');
            s.once('connect', () => {
              s.destroy();
              resolve(true);
            });
            s.once('error', () => resolve(false));
          }),
        20_000,
      );
      break;
    } catch (e) {
      c.kill('SIGTERM');
      if (attempt >= 3) throw e;
    }
  }
  const host = `127.0.0.1:${port}`;
  const config = join(dir, 'docker-config');
  return {
    host,
    user,
    password,
    async push(localImage, repo) {
      const ref = `${host}/${repo}`;
      const login = await run(
        docker,
        ['--config', config, 'login', '--username', user, '--password-stdin', host],
        password,
      );
      if (login.code !== 0) throw new Error(`login to the test registry failed: ${login.out}`);
      await run(docker, ['tag', localImage, ref]);
      const push = await run(docker, ['--config', config, 'push', ref]);
      // The tag is ours: it goes again, so only the registry has the image under that name.
      await run(docker, ['rmi', ref]);
      if (push.code !== 0) throw new Error(`push to the test registry failed: ${push.out}`);
      return ref;
    },
    async stop() {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child?.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
