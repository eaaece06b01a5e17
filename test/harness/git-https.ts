// A real git server over HTTPS on loopback for SSRF tests: Node's https server in front of
// `git http-backend` (smart HTTP, so shallow clones work), a self-signed certificate for localhost and
// 127.0.0.0/8, and a record of every request. Also a redirecting server and an HTTP CONNECT proxy
// that only tunnels to loopback (it shows where git meant to connect, and lets nothing leave the machine).
import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export interface GitTls {
  readonly dir: string;
  readonly certPath: string;
  readonly key: string;
  readonly cert: string;
}

/** A self-signed certificate valid for localhost, 127.0.0.1 and 127.0.0.2. */
export function makeTls(): GitTls {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-gittls-'));
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
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: 'ignore' },
  );
  return { dir, certPath, key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
}

const gitEnv = (home: string) => ({
  ...process.env,
  HOME: home,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
});

/** A bare repository `<root>/repo.git` whose `main` has one commit with `marker.txt` = `marker`. */
export function makeBareRepo(marker: string): { root: string } {
  const root = mkdtempSync(join(tmpdir(), 'ikt-test-gitrepo-'));
  const work = join(root, 'work');
  mkdirSync(work);
  const env = gitEnv(root);
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, stdio: 'ignore' });
  git(work, 'init', '-q', '-b', 'main');
  writeFileSync(join(work, 'marker.txt'), marker);
  git(work, 'add', 'marker.txt');
  git(work, 'commit', '-q', '-m', 'one');
  git(root, 'clone', '-q', '--bare', work, join(root, 'repo.git'));
  return { root };
}

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly host: string;
}

export interface LoopbackServer {
  readonly port: number;
  readonly requests: Recorded[];
  close(): Promise<void>;
}

function listen(server: Server, address: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });

/** Serves `<root>/*.git` over smart HTTP with `git http-backend`. */
export async function startGitHttps(tls: GitTls, root: string, address: string, port = 0): Promise<LoopbackServer> {
  const requests: Recorded[] = [];
  const server = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '' });
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
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    relayCgiResponse(cgi, res);
  });
  const bound = await listen(server, address, port);
  return { port: bound, requests, close: () => closeServer(server) };
}

/** Answers every request with a 302 to `location + path`. */
export async function startRedirectHttps(tls: GitTls, address: string, location: string): Promise<LoopbackServer> {
  const requests: Recorded[] = [];
  const server = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '' });
    res.writeHead(302, { Location: `${location}${req.url ?? '/'}` });
    res.end();
  });
  const port = await listen(server, address);
  return { port, requests, close: () => closeServer(server) };
}

/**
 * An HTTP CONNECT proxy on 127.0.0.1 that records each CONNECT target and tunnels only to loopback:
 * with git's http.proxy set to it, a test sees where git meant to go and nothing leaves the machine.
 */
export async function startConnectProxy(): Promise<LoopbackServer> {
  const requests: Recorded[] = [];
  const server = createHttpServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req, socket) => {
    const target = req.url ?? '';
    requests.push({ method: 'CONNECT', url: target, host: target });
    const m = target.match(/^(\[[^\]]+\]|[^:]+):(\d+)$/);
    const host = m?.[1]?.replace(/^\[|\]$/g, '') ?? '';
    if (!m || !/^127\.\d+\.\d+\.\d+$|^::1$|^localhost$/.test(host)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const up = tcpConnect(Number(m[2]), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  const port = await listen(server, '127.0.0.1');
  return { port, requests, close: () => closeServer(server) };
}

export function removeDirs(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** Environment for a git client that trusts the test certificate and nothing from the user's config. */
export function gitClientEnv(tls: GitTls, home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSL_CAINFO: tls.certPath,
    ...extra,
  };
}

/** Relays a CGI program's answer (git http-backend): its header block becomes the status and headers, the rest the body. */
export function relayCgiResponse(cgi: ChildProcessByStdio<Writable, Readable, null>, res: ServerResponse): void {
  let head = Buffer.alloc(0);
  let headerDone = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (headerDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headerDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const i = line.indexOf(':');
      const k = line.slice(0, i).trim();
      const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
      else res.setHeader(k, v);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  cgi.on('close', () => res.end());
}
