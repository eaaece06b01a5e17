// Proves the Caddy mechanics infrakt relies on, on this machine's real Caddy: a private instance on
// loopback, `caddy reload --config F --adapter caddyfile --address A` swapping config without dropping
// requests, a rejected config leaving the old one live, `tls internal` with a CA under the temp dir,
// and the daemonising `caddy start` / `caddy stop` pair infrakt uses on servers without systemd.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CADDY_BIN,
  type CaddyInstance,
  caddyAvailable,
  caddyEnv,
  caddyGlobalOptions,
  freePort,
  httpGet,
  startCaddy,
} from '../harness/caddy.js';

const site = (body: string) => `http://app.localhost {\n\trespond "${body}"\n}\n`;

function httpsGet(port: number, servername: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', servername, headers: { host: servername }, ca, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', fail);
    req.end();
  });
}

describe.skipIf(!caddyAvailable())('caddy test harness', () => {
  let dir: string;
  let caddy: CaddyInstance | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ikt-test-caddy-'));
  });
  afterEach(async () => {
    await caddy?.stop();
    caddy = undefined;
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts on free loopback ports with storage under the temp dir, and stops by pid', async () => {
    const instanceDir = mkdtempSync(join(dir, 'start-'));
    caddy = await startCaddy({ dir: instanceDir, sites: site('one') });
    expect(caddy.adminAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(new Set([caddy.httpPort, caddy.httpsPort, Number(caddy.adminAddress.split(':')[1])]).size).toBe(3);
    expect(await httpGet(caddy.httpPort, '/', { host: 'app.localhost' })).toEqual({ status: 200, body: 'one' });
    // Loopback only (default_bind): the admin config says so.
    const cfg = JSON.parse(
      (await httpGet(Number(caddy.adminAddress.split(':')[1]), '/config/', { host: caddy.adminAddress })).body,
    );
    expect(cfg.apps.http.servers.srv0.listen).toEqual([`127.0.0.1:${caddy.httpPort}`]);
    expect(cfg.storage.root).toBe(caddy.storageDir);

    const { pid } = caddy;
    await caddy.stop();
    caddy = undefined;
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('reload swaps the config without failing a single request', async () => {
    caddy = await startCaddy({ dir: mkdtempSync(join(dir, 'reload-')), sites: site('one') });
    const c = caddy;
    const seen: string[] = [];
    const failures: string[] = [];
    const retried: string[] = [];
    let stopLoop = false;
    // Fresh connections, back to back, for as long as the reload takes (and until v2 shows up).
    const loop = (async () => {
      while (!stopLoop) {
        // Caddy 2.6 can reset a connection caught mid-accept while it swaps listeners. A client
        // retries such a GET once on a fresh connection (as browsers do); a second failure counts.
        const get = () => httpGet(c.httpPort, '/', { host: 'app.localhost' });
        try {
          const r = await get().catch((e: Error) => {
            retried.push(e.message);
            return get();
          });
          seen.push(r.status === 200 ? r.body : `status ${r.status}`);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    })();
    while (seen.length < 20) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    const reload = await c.reload(site('two'));
    const reloadMs = Date.now() - t0;
    const before = seen.length;
    while (seen.length < before + 20) await new Promise((r) => setTimeout(r, 5));
    stopLoop = true;
    await loop;

    expect(reload.code, reload.stderr).toBe(0);
    expect(failures).toEqual([]);
    console.log(
      `reload under traffic: ${seen.length} requests, ${retried.length} retried once (${retried.join('; ')})`,
    );
    expect(retried.length).toBeLessThanOrEqual(3);
    expect(new Set(seen)).toEqual(new Set(['one', 'two']));
    // Once "two" was served, "one" never came back.
    expect(seen.slice(seen.indexOf('two')).every((b) => b === 'two')).toBe(true);
    expect(seen.at(-1)).toBe('two');
    expect(reloadMs).toBeLessThan(5_000);
  });

  it('a bad config on reload exits non-zero and the old config stays live', async () => {
    caddy = await startCaddy({ dir: mkdtempSync(join(dir, 'bad-')), sites: site('good') });
    // Rejected by the Caddyfile adapter, before it reaches the server.
    const syntax = await caddy.reload('http://app.localhost {\n\tno_such_directive on\n}\n');
    expect(syntax.code).not.toBe(0);
    expect(syntax.stderr).toMatch(/no_such_directive/);
    expect(await httpGet(caddy.httpPort, '/', { host: 'app.localhost' })).toEqual({ status: 200, body: 'good' });

    // Valid Caddyfile, rejected by the running server while loading (certificate files missing):
    // Caddy rolls back to the config that was running.
    const missing = join(dir, 'does-not-exist');
    const load = await caddy.reload(
      `${site('new')}\nhttps://secure.test {\n\ttls ${missing}.crt ${missing}.key\n\trespond "x"\n}\n`,
    );
    expect(load.code).not.toBe(0);
    expect(load.stderr).toMatch(/does-not-exist/);
    expect(await httpGet(caddy.httpPort, '/', { host: 'app.localhost' })).toEqual({ status: 200, body: 'good' });
  });

  it('serves tls internal sites with a local CA kept under the temp dir', async () => {
    caddy = await startCaddy({
      dir: mkdtempSync(join(dir, 'tls-')),
      sites: 'app.test {\n\ttls internal\n\trespond "secure"\n}\n',
    });
    const c = caddy;
    expect(c.rootCertPath.startsWith(dir)).toBe(true);
    const ca = await (async () => {
      const deadline = Date.now() + 10_000;
      while (!existsSync(c.rootCertPath)) {
        if (Date.now() > deadline) throw new Error(`no root certificate at ${c.rootCertPath}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return readFileSync(c.rootCertPath, 'utf8');
    })();
    // The certificate is issued in the background after start: retry the handshake briefly.
    let res: { status: number; body: string } | undefined;
    const deadline = Date.now() + 10_000;
    while (!res) {
      try {
        res = await httpsGet(c.httpsPort, 'app.test', ca);
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(res).toEqual({ status: 200, body: 'secure' });
  });

  it('caddy start / reload --address / stop --address: the CLI pair infrakt drives on servers', async () => {
    const d = mkdtempSync(join(dir, 'cli-'));
    const [admin, http, https] = [await freePort(), await freePort(), await freePort()];
    const adminAddress = `127.0.0.1:${admin}`;
    const config = join(d, 'Caddyfile');
    const globals = caddyGlobalOptions({
      adminAddress,
      httpPort: http,
      httpsPort: https,
      storageDir: join(d, 'storage'),
    });
    writeFileSync(config, `${globals}\n${site('started')}`);
    const env = caddyEnv(d);
    const pidfile = join(d, 'caddy.pid');
    const logPath = join(d, 'caddy.log');
    const cli = (args: string[]) => spawnSync(CADDY_BIN, args, { env, encoding: 'utf8', timeout: 30_000 });
    const daemonPid = () => (existsSync(pidfile) ? Number(readFileSync(pidfile, 'utf8').trim()) : undefined);
    const startArgs = ['start', '--config', config, '--adapter', 'caddyfile', '--pidfile', pidfile];

    try {
      // Pitfall: the daemon `caddy start` forks inherits its stdout/stderr. With pipes (an ssh exec
      // channel) the caller's pipes stay open after `caddy start` exits, so the caller hangs; and once
      // the reader goes away, Caddy dies of SIGPIPE on its next log line. Redirect to a file.
      const piped = spawn(CADDY_BIN, startArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      piped.stdout.resume();
      piped.stderr.resume();
      let closed = false;
      piped.on('close', () => {
        closed = true;
      });
      const exitCode = await new Promise<number | null>((r) => piped.once('exit', r));
      expect(exitCode).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
      expect(closed).toBe(false); // the daemon still holds the pipes
      expect(cli(['stop', '--address', adminAddress]).status).toBe(0);
      await new Promise<void>((r) => (closed ? r() : piped.once('close', () => r())));

      // The right way: output to a log file; `caddy start` returns once the config is running.
      const log = openSync(logPath, 'a');
      const start = spawnSync(CADDY_BIN, startArgs, { env, stdio: ['ignore', log, log], timeout: 30_000 });
      closeSync(log);
      expect(start.status, readFileSync(logPath, 'utf8')).toBe(0);
      expect(await httpGet(http, '/', { host: 'app.localhost' })).toEqual({ status: 200, body: 'started' });

      writeFileSync(config, `${globals}\n${site('reloaded')}`);
      const reload = cli(['reload', '--config', config, '--adapter', 'caddyfile', '--address', adminAddress]);
      expect(reload.status, reload.stderr).toBe(0);
      expect(await httpGet(http, '/', { host: 'app.localhost' })).toEqual({ status: 200, body: 'reloaded' });

      const stop = cli(['stop', '--address', adminAddress]);
      expect(stop.status, stop.stderr).toBe(0);
      await expect(httpGet(http, '/', { host: 'app.localhost', timeoutMs: 1_000 })).rejects.toThrow();
    } finally {
      // If an assertion failed before `caddy stop`, end the daemon we started, by its pid.
      const pid = daemonPid();
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
  });
});
