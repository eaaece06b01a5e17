import type { ServerRow } from '../../adapters/store/schema.js';
import { type CaddyRedirect, renderCaddyfile } from '../../core/caddy/render.js';
import { and, type Cmd, exec, toFile } from '../../core/cmd/index.js';
import * as caddy from '../../core/commands/caddy.js';
import * as fs from '../../core/commands/fs.js';
import * as lockCmd from '../../core/commands/lock.js';
import { InfraktError } from '../../core/errors.js';
import { commandFailed, type Executor, runChecked, tail } from '../../core/executor.js';
import { wwwOf } from '../../core/schemas/app-settings.js';
import { routeAuthOf } from '../apps/app-auth-settings.js';
import { serverSettings } from '../servers/servers.js';
import type { Ctx } from '../shared/context.js';
import type { FramedScript } from '../shared/framed-script.js';
import { proxyLockName, staleInStore } from '../shared/lock-on-server.js';
import { acquireRemoteLock, newLockOwner, releaseRemoteLock } from '../shared/remote-lock.js';
import { type AfterApply, applyRunning } from './proxy-apply-script.js';

/** Routes of a server as stored (the single source of the rendered Caddy config). */
export async function storedRoutes(ctx: Ctx, serverId: number) {
  return ctx.store.db
    .selectFrom('proxy_routes')
    .leftJoin('apps', 'apps.id', 'proxy_routes.app_id')
    .select([
      'proxy_routes.domain',
      'proxy_routes.upstream_port',
      'proxy_routes.app_id',
      'apps.name as app_name',
      'apps.settings_json as app_settings',
    ])
    .where('proxy_routes.server_id', '=', serverId)
    .orderBy('proxy_routes.domain')
    .execute();
}

/** Where the root certificate of a private ACME CA is written on the server (`server set --acme-ca-root`). */
export const acmeCaRootPath = (root: string): string => `${caddy.caddyPaths(root).dir}/acme-ca-root.pem`;

/** `www.<domain>` → `<domain>` for apps with the www redirect, unless that name is itself routed. */
function wwwRedirects(routes: Awaited<ReturnType<typeof storedRoutes>>): CaddyRedirect[] {
  const routed = new Set(routes.map((r) => r.domain));
  return routes.flatMap((r) => {
    const www = wwwOf(r.domain);
    const on = r.app_settings ? (JSON.parse(r.app_settings) as { wwwRedirect?: unknown }).wwwRedirect === true : false;
    return on && www && !routed.has(www) ? [{ from: www, to: r.domain }] : [];
  });
}

/** Upstreams of one app kept in the pool behind its own while its previous release drains (a deploy's switch). */
export interface DrainingUpstreams {
  readonly appId: number;
  readonly ports: readonly number[];
}

/** The server's whole Caddyfile as it should be now. */
export async function renderServerCaddyfile(
  ctx: Ctx,
  server: ServerRow,
  draining?: DrainingUpstreams,
): Promise<string> {
  const routes = await storedRoutes(ctx, server.id);
  const { proxy, acme } = serverSettings(server);
  return renderCaddyfile({
    proxy,
    routes: routes.map((r) => ({
      domain: r.domain,
      upstreamPort: r.upstream_port,
      auth: routeAuthOf(r.app_settings),
      ...(draining && r.app_id === draining.appId ? { drainingPorts: draining.ports } : {}),
    })),
    redirects: wwwRedirects(routes),
    acme: acme
      ? { email: acme.email, ca: acme.ca, caRootPath: acme.caRoot ? acmeCaRootPath(server.root_dir) : undefined }
      : undefined,
    storageDir: caddy.caddyPaths(server.root_dir).data,
  });
}

export function adminHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host: host === 'localhost' ? '127.0.0.1' : host, port: Number(address.slice(i + 1)) };
}

/** True when something answers on Caddy's admin address on the server (checked through the connection). */
export async function caddyAnswers(ex: Executor, adminAddress: string): Promise<boolean> {
  const { host, port } = adminHostPort(adminAddress);
  try {
    const sock = await ex.connectTcp(port, host);
    sock.destroy();
    return true;
  } catch {
    return false;
  }
}

export type { AfterApply };

export type ProxyApplyMode = 'systemd' | 'reload' | 'start';

/**
 * Makes the running Caddy use `<root>/caddy/Caddyfile` when nothing answered on the admin address: the systemd
 * unit when it is active, else a start.
 */
async function startOrReloadUnit(ex: Executor, server: ServerRow, log: (l: string) => void): Promise<ProxyApplyMode> {
  const paths = caddy.caddyPaths(server.root_dir);
  const { adminAddress } = serverSettings(server).proxy;
  if ((await ex.run(caddy.systemdActive())).exitCode === 0) {
    await runChecked(ex, caddy.systemdReload(), { what: 'systemctl reload caddy' });
    return 'systemd';
  }
  log(`caddy is not running: starting it (admin ${adminAddress})`);
  const res = await ex.run(caddy.start(paths));
  if (res.exitCode !== 0) {
    const logText = await ex.get(paths.log).then(
      (b) => tail(b.toString('utf8'), 10),
      () => '',
    );
    throw commandFailed(ex.target, caddy.start(paths), { ...res, stderr: logText || res.stderr }, 'caddy start');
  }
  return 'start';
}

export interface ApplyResult {
  readonly changed: boolean;
  readonly mode: ProxyApplyMode | 'unchanged';
  /** The script still running `afterApply`'s parts (the new config is live): absent when they were not sent. */
  readonly afterScript?: FramedScript;
}

/**
 * Writes the rendered config atomically, validates it, swaps it in and reloads gracefully. A config that does
 * not validate is never swapped in; a reload that fails puts the previous config back (and reloads it) and
 * reports the error. `force` reloads even when the file on the server already has these bytes.
 *
 * With Caddy known to be running (a deploy's prepare batch saw it listen), a deploy's switch is one round trip:
 * one script takes the proxy lock, writes, swaps, reloads (restoring the previous file if the reload fails) and
 * releases the lock. Only when the lock is held by someone else does it wait for it the usual way (then: the
 * lock, then the script).
 */
export async function applyProxyConfig(
  ctx: Ctx,
  ex: Executor,
  server: ServerRow,
  opts: {
    force?: boolean;
    log?: (l: string) => void;
    jobId?: string;
    expectChange?: boolean;
    /** Whether Caddy answers on its admin address, when the caller knows it already (a deploy's prepare batch). */
    caddyRunning?: boolean;
    afterApply?: AfterApply;
    /** The previous release's upstreams of the app being switched, kept in the pool for its drain. */
    draining?: DrainingUpstreams;
    /** Cancels the script (and `afterApply`'s parts). */
    signal?: AbortSignal;
  } = {},
): Promise<ApplyResult> {
  const { adminAddress } = serverSettings(server).proxy;
  const owner = newLockOwner({ holder: ctx.actor, jobId: opts.jobId ?? null, now: ctx.clock.now() });
  let firstAttempt: { exitCode: number; stdout: string } | undefined;
  // A private CA root is written under the lock before the script: that path keeps its two round trips.
  if (opts.caddyRunning === true && opts.expectChange && !serverSettings(server).acme?.caRoot) {
    const held = { released: false };
    const r = await applyLocked(ctx, ex, server, {
      ...opts,
      running: true,
      lockFirst: lockCmd.acquireWithOwner(server.root_dir, proxyLockName, owner),
      unlock: { cmd: lockCmd.release(server.root_dir, proxyLockName, owner.token), done: () => (held.released = true) },
    }).catch(async (e) => {
      // The script failed after perhaps taking the lock and before releasing it (the release checks our token).
      if (!held.released)
        await releaseRemoteLock(ex, { root: server.root_dir, name: proxyLockName, owner }).catch(() => undefined);
      throw e;
    });
    if (!('lockNotTaken' in r)) return r;
    // Someone else holds it (or it could not be taken): wait for it below, starting from this attempt.
    firstAttempt = r.lockNotTaken;
  }
  // Deploys of different apps on one server each re-render the whole config: one at a time, on the server.
  const [lock, answers] = await Promise.all([
    acquireRemoteLock(ex, {
      root: server.root_dir,
      name: proxyLockName,
      holder: ctx.actor,
      jobId: opts.jobId ?? null,
      server: server.name,
      now: ctx.clock.now(),
      isStale: staleInStore(ctx),
      waitMs: 60_000,
      owner,
      ...(firstAttempt ? { firstAttempt } : {}),
    }),
    opts.caddyRunning ?? caddyAnswers(ex, adminAddress),
  ]);
  const held = { released: false };
  const unlock = { cmd: lockCmd.release(lock.root, lock.name, lock.owner.token), done: () => (held.released = true) };
  try {
    const r = await applyLocked(ctx, ex, server, { ...opts, running: answers, unlock });
    if ('lockNotTaken' in r) throw new Error('applyLocked asked for a lock it was not told to take');
    return r;
  } finally {
    if (!held.released) await releaseRemoteLock(ex, lock).catch(() => undefined);
  }
}

async function applyLocked(
  ctx: Ctx,
  ex: Executor,
  server: ServerRow,
  opts: {
    force?: boolean;
    log?: (l: string) => void;
    expectChange?: boolean;
    running: boolean;
    unlock: { cmd: Cmd; done: () => void };
    /** Take the proxy lock in the apply script itself (its first attempt; `lockNotTaken` when it failed). */
    lockFirst?: Cmd;
    afterApply?: AfterApply;
    draining?: DrainingUpstreams;
    signal?: AbortSignal;
  },
): Promise<ApplyResult | { lockNotTaken: { exitCode: number; stdout: string } }> {
  const log = opts.log ?? (() => {});
  const paths = caddy.caddyPaths(server.root_dir);
  const text = await renderServerCaddyfile(ctx, server, opts.draining);
  const { running } = opts;
  if (!opts.expectChange) await runChecked(ex, fs.mkdirp(paths.data, 0o700), { what: 'create caddy dir' });
  // A deploy always changes the route: skip reading the current file (one round trip less).
  const current = opts.expectChange
    ? ''
    : await ex.get(paths.config).then(
        (b) => b.toString('utf8'),
        () => null,
      );
  if (!opts.expectChange && current === text && !opts.force && running) return { changed: false, mode: 'unchanged' };
  // Write (content on stdin), keep the previous file, swap; nothing is swapped unless the candidate validates.
  // A running Caddy validates on reload and keeps its config live when the new one is bad (the script then
  // restores the file): a separate `caddy validate` is only needed before a first start.
  const install = and(
    ...(running ? [] : [caddy.validate(paths.candidate)]),
    fs.cpIfExists(paths.config, paths.previous),
    fs.mv(paths.candidate, paths.config),
  );
  const swap = and(toFile(exec('cat'), paths.candidate), install);
  // A private ACME CA's root goes next to the config it is named in (public data, rewritten each time).
  const caRoot = serverSettings(server).acme?.caRoot;
  if (caRoot) await ex.put(acmeCaRootPath(server.root_dir), caRoot, { mode: 0o644 });
  // A failed reload keeps the old config live: its file is put back so that the file matches what Caddy serves.
  const restore = current === null ? fs.rmFile(paths.config) : fs.mv(paths.previous, paths.config);
  const invalid = () => {
    return new InfraktError('COMMAND_FAILED', `the rendered Caddy config does not validate on ${server.name}`, {
      hint: 'nothing was changed; this is a bug in infrakt, please report it with the output above',
    });
  };
  if (running) return applyRunning(ex, server, { ...opts, text, swap, install, restore, invalid, log });
  const check = await ex.run(swap, { stdin: text });
  if (check.exitCode !== 0) {
    await ex.run(fs.rmFile(paths.candidate));
    const e = invalid();
    throw new InfraktError(e.code, e.message, {
      hint: e.hint,
      details: { stderrTail: tail(check.stdout || check.stderr, 10) },
    });
  }
  try {
    const mode = await startOrReloadUnit(ex, server, log);
    return { changed: true, mode };
  } catch (e) {
    await ex.run(restore);
    log('reload failed: restored the previous Caddy config');
    throw e;
  }
}
