// Shared set-up for the deploy e2e tests: a harness sshd "server" with its own remote root, Caddy on free
// loopback ports (tls off), the built CLI, HTTP through Caddy with a Host header, and thorough cleanup
// (every container/volume/network/image labelled with this server's root, Caddy by its pidfile).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, cleanupHomes, makeInfraktHome, registerHarnessServer, runCli } from '../harness/cli.js';
import { freePort, type SshdHost, type StartSshdOptions, startSshd, stopAllSshd } from '../harness/sshd.js';

export const DOCKER = process.env.INFRAKT_TEST_DOCKER ?? (existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker');

export const rand = (): string => randomBytes(4).toString('hex');

export interface DeployEnv {
  home: string;
  host: SshdHost;
  server: string;
  httpPort: number;
  httpsPort: number;
  adminPort: number;
  cli(args: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<CliResult>;
  /** Runs the CLI and throws with its output unless it exits 0. */
  ok(args: readonly string[]): Promise<CliResult>;
  close(): Promise<void>;
}

/**
 * Builds `tag` from a Dockerfile (FROM a local test image: nothing is pulled) with `files` beside it in the context
 * (name → content, executable). Remove it with `docker rmi` when done.
 */
export function buildTestImage(tag: string, dockerfile: string, files: Record<string, string> = {}): void {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-image-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o755 });
    execFileSync(DOCKER, ['build', '--quiet', '--tag', tag, dir], { stdio: 'ignore' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function docker(...args: string[]): string {
  return execFileSync(DOCKER, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * A server with Caddy set up through `infrakt proxy setup` (HTTP only, loopback ports of its own). `sshd` sets
 * the server's session environment (a private Docker engine, a CA for git over https).
 */
export async function deployEnv(opts: { sshd?: StartSshdOptions } = {}): Promise<DeployEnv> {
  const home = makeInfraktHome();
  const host = await startSshd(opts.sshd);
  const server = `ikt-test-${rand()}`;
  await registerHarnessServer(home, host, server);
  const [httpPort, httpsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const cli = (args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}) =>
    runCli(args, { home, ...opts });
  const ok = async (args: readonly string[]) => {
    const r = await cli(args);
    if (r.code !== 0) throw new Error(`infrakt ${args.join(' ')} → exit ${r.code}\n${r.stderr}\n${r.stdout}`);
    return r;
  };
  const proxy = ['--proxy-tls', 'off', '--proxy-http-port', String(httpPort), '--proxy-https-port', String(httpsPort)];
  // Tests never pull: a missing image must fail, not look up a registry.
  await ok(['server', 'set', server, ...proxy, '--proxy-admin', `127.0.0.1:${adminPort}`, '--pull-policy', 'never']);
  await ok(['proxy', 'setup', server]);
  return {
    home,
    host,
    server,
    httpPort,
    httpsPort,
    adminPort,
    cli,
    ok,
    async close() {
      cleanupDocker(host.root);
      const pidfile = `${host.root}/caddy/caddy.pid`;
      if (existsSync(pidfile)) {
        const pid = Number(readFileSync(pidfile, 'utf8').trim());
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            // already gone
          }
        }
      }
      await stopAllSshd();
      cleanupHomes();
    },
  };
}

/** Removes everything infrakt started for apps under this root (containers, networks, volumes, release images). */
export function cleanupDocker(root: string): void {
  const label = `label=infrakt.root=${root}`;
  const ids = docker('ps', '-aq', '--filter', label).split('\n').filter(Boolean);
  const projects = new Set(
    ids.map((id) => docker('inspect', '-f', '{{index .Config.Labels "com.docker.compose.project"}}', id)),
  );
  if (ids.length) docker('rm', '-f', ...ids);
  for (const p of projects) {
    const nets = docker('network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${p}`)
      .split('\n')
      .filter(Boolean);
    if (nets.length) docker('network', 'rm', ...nets);
  }
  const vols = docker('volume', 'ls', '-q', '--filter', label).split('\n').filter(Boolean);
  if (vols.length) docker('volume', 'rm', '-f', ...vols);
}

/** Untags the release images of a test app (`infrakt-app/<name>:r<N>`), by tag, never by id. */
export function removeAppImages(app: string): void {
  const refs = docker('image', 'ls', '--filter', `reference=infrakt-app/${app}`, '--format', '{{.Repository}}:{{.Tag}}')
    .split('\n')
    .filter(Boolean);
  if (refs.length) docker('rmi', ...refs);
}

export interface HttpResult {
  status: number;
  body: string;
}

/** GET through Caddy on loopback with the app's Host header. */
export function get(port: number, host: string, path = '/', agent?: Agent): Promise<HttpResult> {
  return getOnce(port, host, path, agent).then((r) => r.result);
}

class ReusedSocketClosed extends Error {}

function getOnce(port: number, host: string, path: string, agent?: Agent): Promise<{ result: HttpResult }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host }, agent: agent ?? false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ result: { status: res.statusCode ?? 0, body } }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      // The keep-alive race every HTTP client meets when a server closes an idle connection (a Caddy reload
      // does): the request went out on a reused socket that was already closing, so the server never read it.
      // Node documents this case (http.ClientRequest.reusedSocket) and the retry of idempotent requests.
      if (req.reusedSocket && (e.code === 'ECONNRESET' || e.message === 'socket hang up')) {
        reject(new ReusedSocketClosed(e.message));
      } else reject(e);
    });
    req.end();
  });
}

export interface LoadReport {
  requests: number;
  /** GETs resent once because their reused keep-alive socket was closed before the server read them. */
  resentOnClosedKeepAlive: number;
  failures: number;
  failureSamples: string[];
  /** Count of responses per body (e.g. version markers). */
  bodies: Map<string, number>;
  /** Body of the last successful response. */
  last: string;
  /** Requests answered while `during` ran (the redeploy window itself). */
  inWindow: number;
}

/**
 * Steady load through Caddy while `during` runs: `concurrency` keep-alive workers in a loop, bounded by
 * `maxRequests`; at least `minRequests` are sent even when `during` ends earlier.
 */
export async function underLoad(
  o: { port: number; host: string; concurrency?: number; minRequests: number; maxRequests?: number },
  during: () => Promise<void>,
): Promise<LoadReport> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency ?? 4 });
  const report: LoadReport = {
    requests: 0,
    resentOnClosedKeepAlive: 0,
    failures: 0,
    failureSamples: [],
    bodies: new Map(),
    last: '',
    inWindow: 0,
  };
  let done = false;
  const max = o.maxRequests ?? 500_000;
  const worker = async () => {
    while ((!done || report.requests < o.minRequests) && report.requests < max) {
      report.requests++;
      try {
        const r = await getOnce(o.port, o.host, '/', agent).then(
          (x) => x.result,
          (e) => {
            if (!(e instanceof ReusedSocketClosed)) throw e;
            report.resentOnClosedKeepAlive++;
            // Resent once on a fresh connection (every pooled socket of the old server may be closing).
            return getOnce(o.port, o.host, '/').then((x) => x.result);
          },
        );
        if (r.status !== 200) {
          report.failures++;
          if (report.failureSamples.length < 5) report.failureSamples.push(`HTTP ${r.status}: ${r.body.slice(0, 80)}`);
        } else {
          const key = r.body.trim();
          report.bodies.set(key, (report.bodies.get(key) ?? 0) + 1);
          report.last = key;
        }
      } catch (e) {
        report.failures++;
        if (report.failureSamples.length < 5) report.failureSamples.push(String(e));
      }
    }
  };
  const workers = Array.from({ length: o.concurrency ?? 4 }, worker);
  try {
    await during();
  } finally {
    report.inWindow = report.requests;
    done = true;
    await Promise.all(workers);
    agent.destroy();
  }
  return report;
}
