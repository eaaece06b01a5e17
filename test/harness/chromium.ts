// Headless Chromium for the browser tests, in a network namespace of its own.
//
// Why: Chromium watches the host's interfaces over netlink (NetworkChangeNotifierLinux) and, when an address or a
// link appears or goes, fails every request in flight with net::ERR_NETWORK_CHANGED. Test files run three at a
// time, and others create and remove interfaces all along (docker networks, Swarm labs, private dockerd bridges).
// No Chromium switch turns that watcher off, and retrying would hide real failures, so Chromium gets a network
// namespace with nothing in it but loopback and a veth pair of its own (so it does not consider itself offline):
// it sees no other test's interfaces, and the namespace has no way out at all.
//
// How it still reaches the test servers on the host's loopback: a holder process in the new namespace opens a
// listening socket on the namespace's 127.0.0.1 and hands it to this process (Node passes server handles over
// the IPC channel, SCM_RIGHTS); this process serves it as an HTTP proxy (`--proxy-server`, loopback not
// bypassed) and connects each request to the host's loopback. The proxy connects only to 127.0.0.0/8 and ::1:
// names ending in .localhost or .test (and localhost) go to 127.0.0.1; anything else is refused (a closed
// connection, which Chromium reports as a network error). CDP runs over Playwright's pipe, which the namespace
// does not affect.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { isIP, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** The flags every browser test uses (notes/test-hosts.md). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Installs Debian's chromium when it is missing (as root; CI runs as root), else says what to install. */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  execFileSync('apt-get', ['install', '-y', '-q', 'chromium'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Where the proxy may connect a host name: loopback only. Returns undefined for a name it refuses. */
export function loopbackTarget(host: string): string | undefined {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(h) === 4) return h.startsWith('127.') ? h : undefined;
  if (isIP(h) === 6) return h === '::1' ? h : undefined;
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.test')) return '127.0.0.1';
  return undefined;
}

// The holder: joins nothing, just sets up the namespace it was started in, opens the listening socket there and
// passes it up; it stays (keeping the namespace alive for Chromium to enter) until its parent goes away.
const HOLDER = `
const { execFileSync } = require('node:child_process');
const ip = (...a) => execFileSync('ip', a, { stdio: 'pipe' });
ip('link', 'set', 'lo', 'up');
// A link with an address, so Chromium's connection type is not "none" (navigator.onLine stays true): a veth pair
// with both ends in this namespace, so nothing sent to it goes anywhere. No IPv6 link-local addresses: they would
// appear a moment after the link is up, a change Chromium would see.
ip('link', 'add', 'ikt0', 'type', 'veth', 'peer', 'name', 'ikt1');
for (const l of ['ikt0', 'ikt1']) ip('link', 'set', l, 'addrgenmode', 'none');
ip('addr', 'add', '192.0.2.1/24', 'dev', 'ikt0');
for (const l of ['ikt0', 'ikt1']) ip('link', 'set', l, 'up');
const server = require('node:net').createServer();
server.listen(0, '127.0.0.1', () => {
  process.send({ port: server.address().port }, server, () => server.close());
});
process.on('disconnect', () => process.exit(0));
`;

interface Namespace {
  holder: ChildProcess;
  listener: Server;
  port: number;
}

async function openNamespace(): Promise<Namespace> {
  const holder = spawn('unshare', ['--net', process.execPath, '-e', HOLDER], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  holder.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('no listening socket from the namespace within 20 s')), 20_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      holder.kill('SIGKILL');
      reject(new Error(`Chromium's network namespace: ${e.message}${stderr ? `\n${stderr}` : ''}`));
    };
    holder.once('error', fail);
    holder.once('exit', (code) => fail(new Error(`unshare exited with ${code} (needs root: CAP_SYS_ADMIN)`)));
    holder.once('message', (msg: { port?: number }, handle) => {
      clearTimeout(timer);
      holder.removeAllListeners('exit');
      if (!handle || typeof msg.port !== 'number') return fail(new Error('the holder sent no socket'));
      resolve({ holder, listener: handle as Server, port: msg.port });
    });
  });
}

/** The loopback-only forward proxy, served on the socket that listens inside Chromium's namespace. */
function serveProxy(listener: Server): () => void {
  const open = new Set<Duplex>();
  const track = (s: Duplex) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  };
  const proxy = createHttpServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URL expected');
      return;
    }
    const target = loopbackTarget(url.hostname);
    if (url.protocol !== 'http:' || !target) {
      req.socket.destroy();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const up = httpRequest(
      {
        host: target,
        port: Number(url.port || 80),
        method: req.method,
        path: url.pathname + url.search,
        headers,
        agent: false,
      },
      (upRes: IncomingMessage) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
        upRes.pipe(res);
      },
    );
    // A failed upstream is a dropped connection for Chromium too, not a made-up HTTP answer.
    up.on('error', () => req.socket.destroy());
    req.pipe(up);
  });
  proxy.on('connection', track);
  // CONNECT carries HTTPS and WebSockets (Chromium tunnels ws:// through an HTTP proxy).
  proxy.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const u = new URL(`http://${req.url ?? ''}`);
    const target = loopbackTarget(u.hostname);
    if (!target || !u.port) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const up: Socket = tcpConnect({ host: target, port: Number(u.port) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    track(up);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  proxy.listen(listener);
  return () => {
    proxy.close();
    listener.close();
    for (const s of open) s.destroy();
  };
}

export interface LaunchOptions {
  /** Flags added to CHROMIUM_FLAGS. */
  readonly args?: readonly string[];
}

/**
 * Launches Chromium in its own network namespace (above). Closing the browser ends the namespace and the proxy.
 * Needs root (unshare/nsenter), as every test tier here does.
 */
export async function launchChromium(opts: LaunchOptions = {}): Promise<Browser> {
  ensureChromium();
  const ns = await openNamespace();
  const stopProxy = serveProxy(ns.listener);
  const dir = mkdtempSync(join(tmpdir(), 'ikt-chromium-'));
  const wrapper = join(dir, 'chromium');
  // Playwright runs the wrapper with its CDP pipe on fds 3 and 4; exec keeps them.
  writeFileSync(wrapper, `#!/bin/sh\nexec nsenter --net=/proc/${ns.holder.pid}/ns/net -- ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const cleanup = () => {
    stopProxy();
    if (ns.holder.exitCode === null) ns.holder.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const browser = await chromium.launch({
      executablePath: wrapper,
      args: [
        ...CHROMIUM_FLAGS,
        `--proxy-server=http://127.0.0.1:${ns.port}`,
        // Chromium sends loopback directly unless told not to; its loopback is the namespace's, so no.
        '--proxy-bypass-list=<-loopback>',
        ...(opts.args ?? []),
      ],
    });
    browser.once('disconnected', cleanup);
    return browser;
  } catch (e) {
    cleanup();
    throw e;
  }
}
