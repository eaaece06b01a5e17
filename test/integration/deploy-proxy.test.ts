// The proxy config path on real parts (harness sshd → real Caddy), through the services: setup starts Caddy with
// the rendered config, routes are served, and a reload that fails (the new HTTP port is taken) restores the
// previous config file and keeps the previous config live.
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/adapters/connect.js';
import { createJobRunner, type JobRunner } from '../../src/adapters/jobs/runner.js';
import {
  listProxyRoutes,
  prepareProxyAdd,
  prepareProxyReload,
  prepareProxyRemove,
  prepareProxySetup,
  proxyStatus,
} from '../../src/services/proxy/proxy.js';
import { registerServer } from '../../src/services/servers/servers.js';
import { setProxySettings } from '../../src/services/servers/settings.js';
import type { Ctx } from '../../src/services/shared/context.js';
import { runPlan } from '../../src/services/shared/job-plan.js';
import { freePort, type SshdHost, startSshd, stopAllSshd } from '../harness/sshd.js';
import { openTestState, type TestState } from '../helpers/state.js';

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: new Agent() }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('proxy config on a real Caddy (services over ssh)', () => {
  let state: TestState;
  let jobs: JobRunner;
  let ctx: Ctx;
  let host: SshdHost;
  let upstream: Server;
  let upstreamPort: number;
  let blocker: Server | undefined;
  let httpPort: number;

  beforeAll(async () => {
    host = await startSshd();
    state = openTestState();
    jobs = createJobRunner({ store: state.ctx.store, clock: { now: () => new Date() }, actor: 'tester' });
    ctx = { ...state.ctx, jobs, connect: (s, o) => connect(s, o?.signal ? { signal: o.signal } : {}) };
    await registerServer(ctx, {
      name: 'box',
      host: host.host,
      port: host.port,
      keyPath: host.keyPath,
      root: host.root,
      fingerprint: host.fingerprint,
    });
    httpPort = await freePort();
    await setProxySettings(ctx, 'box', {
      tls: 'off',
      httpPort,
      httpsPort: await freePort(),
      adminAddress: `127.0.0.1:${await freePort()}`,
    });
    // A stand-in upstream on loopback.
    upstream = createServer((sock) => {
      sock.on('data', () => sock.end('HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nupstream'));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamPort = (upstream.address() as { port: number }).port;
  });

  afterAll(async () => {
    try {
      const pid = Number(readFileSync(`${host.root}/caddy/caddy.pid`, 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGTERM');
    } catch {
      // not started
    }
    upstream?.close();
    blocker?.close();
    jobs?.close();
    await state?.close();
    await stopAllSshd();
  });

  it('setup starts Caddy with the rendered config; a route is served', async () => {
    const setup = await runPlan(ctx, await prepareProxySetup(ctx, 'box'));
    expect(setup.mode).toBe('start');
    await runPlan(ctx, await prepareProxyAdd(ctx, { domain: 'svc.test', server: 'box', port: upstreamPort }));
    expect(await get(httpPort, 'svc.test')).toEqual({ status: 200, body: 'upstream' });
    const status = await proxyStatus(ctx, 'box');
    expect(status).toMatchObject({ running: true, inSync: true });
    expect(status.routes).toEqual([{ domain: 'svc.test', upstreamPort, app: null }]);
  });

  it('a reload that fails restores the previous config file and keeps the old config live', async () => {
    const before = readFileSync(`${host.root}/caddy/Caddyfile`, 'utf8');
    // The new HTTP port is taken: the config validates, but Caddy cannot bind it on reload.
    blocker = createServer();
    const taken = await new Promise<number>((r) =>
      blocker!.listen(0, '127.0.0.1', () => r((blocker!.address() as { port: number }).port)),
    );
    await setProxySettings(ctx, 'box', { httpPort: taken });
    const err = await runPlan(ctx, await prepareProxyReload(ctx, 'box')).catch((e) => e);
    expect(err.code).toBe('COMMAND_FAILED');
    expect(readFileSync(`${host.root}/caddy/Caddyfile`, 'utf8')).toBe(before);
    expect(await get(httpPort, 'svc.test')).toEqual({ status: 200, body: 'upstream' });
    await setProxySettings(ctx, 'box', { httpPort });
    expect((await proxyStatus(ctx, 'box')).inSync).toBe(true);
  });

  it('proxy add and remove on a server that fails mid-way change nothing locally; a retry works (issue 11 item 8)', async () => {
    await setProxySettings(ctx, 'box', { httpPort });
    await runPlan(ctx, await prepareProxyReload(ctx, 'box'));
    const domains = async () => (await listProxyRoutes(ctx, 'box')).map((r) => r.domain).sort();
    // The server fails mid-way: after connecting, locking and rendering, the new config cannot be written.
    const candidate = `${host.root}/caddy/Caddyfile.next`;
    mkdirSync(candidate);
    const add = await runPlan(
      ctx,
      await prepareProxyAdd(ctx, { domain: 'new.test', server: 'box', port: upstreamPort }),
    )
      .then(() => null)
      .catch((e) => e);
    expect(add?.code).toBe('COMMAND_FAILED');
    expect(await domains()).toEqual(['svc.test']);
    const remove = await runPlan(ctx, await prepareProxyRemove(ctx, { domain: 'svc.test', server: 'box' }))
      .then(() => null)
      .catch((e) => e);
    expect(remove?.code).toBe('COMMAND_FAILED');
    // Caddy still serves the route, and infrakt still knows it.
    expect(await domains()).toEqual(['svc.test']);
    expect(await get(httpPort, 'svc.test')).toEqual({ status: 200, body: 'upstream' });

    // The server works again: both retries go through.
    rmdirSync(candidate);
    await runPlan(ctx, await prepareProxyAdd(ctx, { domain: 'new.test', server: 'box', port: upstreamPort }));
    expect(await get(httpPort, 'new.test')).toEqual({ status: 200, body: 'upstream' });
    await runPlan(ctx, await prepareProxyRemove(ctx, { domain: 'svc.test', server: 'box' }));
    expect(await domains()).toEqual(['new.test']);
    expect((await get(httpPort, 'svc.test')).body).not.toBe('upstream');
    expect((await proxyStatus(ctx, 'box')).inSync).toBe(true);
  });
});
