// Private git hosts on loopback for the private-source tests: a bare repository served over SSH by a
// harness sshd that knows only the keys a test allows (a deploy key), and over smart HTTPS by `git
// http-backend` behind a Node https server that demands a token (Basic auth), with a self-signed
// certificate for 127.0.0.1 and a record of which requests carried the right credentials.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { relayCgiResponse } from './git-https.js';
import { type SshdHost, startSshd } from './sshd.js';

const gitEnv = (home: string) => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: home,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
});

export interface TestRepo {
  readonly dir: string;
  /** The bare repository (`<dir>/repo.git`) a host serves. */
  readonly bare: string;
  /** Commits `files` on main and pushes it to the bare repository; returns the commit id. */
  commit(files: Record<string, string>, message: string): string;
  remove(): void;
}

/** A bare repository with a work tree to commit from (main branch). */
export function makeRepo(files: Record<string, string>): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-gitrepo-'));
  const work = join(dir, 'work');
  const bare = join(dir, 'repo.git');
  mkdirSync(work);
  const env = gitEnv(dir);
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
  git(work, 'init', '-q', '-b', 'main');
  git(dir, 'init', '-q', '--bare', '-b', 'main', bare);
  const repo: TestRepo = {
    dir,
    bare,
    commit(f, message) {
      for (const [name, content] of Object.entries(f)) writeFileSync(join(work, name), content);
      git(work, 'add', '-A');
      git(work, 'commit', '-q', '-m', message);
      git(work, 'push', '-q', bare, 'main');
      return git(work, 'rev-parse', 'HEAD');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  repo.commit(files, 'one');
  return repo;
}

export interface SshGitHost {
  readonly sshd: SshdHost;
  /** `ssh://root@127.0.0.1:<port><bare path>` */
  url(repo: TestRepo): string;
  /** Replaces the keys the host accepts (e.g. an app's deploy key). */
  allow(...publicKeys: string[]): void;
}

/** An SSH git host that accepts only the keys a test allows (none at first). */
export async function startSshGitHost(): Promise<SshGitHost> {
  const sshd = await startSshd({ authorizedKeys: '' });
  const keys = join(sshd.dir, 'authorized_keys');
  return {
    sshd,
    url: (repo) => `ssh://root@127.0.0.1:${sshd.port}${repo.bare}`,
    allow: (...publicKeys) => writeFileSync(keys, publicKeys.map((k) => `${k.trim()}\n`).join(''), { mode: 0o600 }),
  };
}

export interface TestTls {
  readonly dir: string;
  readonly certPath: string;
  readonly key: string;
  readonly cert: string;
}

/** A self-signed certificate for 127.0.0.1 and localhost. */
export function makeTls(): TestTls {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: 'ignore' },
  );
  return { dir, certPath, key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
}

export interface HttpsGitHost {
  readonly port: number;
  url(repo: TestRepo): string;
  /** Requests seen: whether each carried the expected credentials. */
  readonly requests: { url: string; authorized: boolean }[];
  close(): Promise<void>;
}

/**
 * Serves `<root>/*.git` (smart HTTP via `git http-backend`) on 127.0.0.1 to requests with Basic auth
 * `user:token` only; others get 401 with a Basic challenge (what git needs to ask its credential helper).
 */
export async function startHttpsGitHost(
  tls: TestTls,
  root: string,
  user: string,
  token: string,
): Promise<HttpsGitHost> {
  const requests: { url: string; authorized: boolean }[] = [];
  const expected = `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const authorized = req.headers.authorization === expected;
    requests.push({ url: req.url ?? '', authorized });
    if (!authorized) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end('authentication required\n');
      return;
    }
    const u = new URL(req.url ?? '/', 'https://x');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: root,
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(u.pathname),
        QUERY_STRING: u.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: user,
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    relayCgiResponse(cgi, res);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
  return {
    port,
    requests,
    url: (repo) => `https://127.0.0.1:${port}/${repo.bare.slice(root.length + 1)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
