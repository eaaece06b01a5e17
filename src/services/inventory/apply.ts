import { InfraktError, toInfraktError } from '../../core/errors.js';
import type { Change } from '../../core/inventory/diff.js';
import { chains } from '../../core/inventory/diff.js';
import type { AppSpec, DatabaseSpec, RouteSpec, ServerSpec } from '../../core/inventory/model.js';
import { prepareDestroy } from '../app-lifecycle.js';
import { createApp, updateAppSource } from '../apps.js';
import { prepareSchedule } from '../backups-schedule.js';
import type { Ctx } from '../context.js';
import { prepareDestroyDatabase } from '../databases.js';
import { prepareCreateDatabase } from '../databases-create.js';
import { prepareDeploy } from '../deploy/deploy-app.js';
import { deleteEnv, setEnv } from '../env.js';
import type { JobPlan } from '../job-plan.js';
import { createCloudServer, destroyCloudServer } from '../providers/cloud-servers.js';
import { prepareProvision } from '../provision.js';
import { prepareProxyAdd, prepareProxyReload, prepareProxyRemove } from '../proxy.js';
import { deleteSecret } from '../secrets/secrets.js';
import { addServer, testServer, trustServer } from '../server-remote.js';
import { removeServer } from '../servers.js';
import { normalCron } from './actual.js';
import { prepareStartDatabase } from './database-start.js';
import { appKey } from './desired.js';
import type { InventoryPlan } from './plan.js';
import { updateAppFields, updateServerFields } from './resource-updates.js';

export type ChangeStatus = 'done' | 'failed' | 'skipped';

export interface ChangeResult {
  readonly change: Change;
  readonly status: ChangeStatus;
  readonly jobIds: readonly string[];
  readonly message?: string;
  readonly error?: { code: string; message: string; hint?: string };
  readonly durationMs: number;
}

export type ApplyEvent =
  | { type: 'start'; change: Change }
  | { type: 'job'; change: Change; jobId: string; kind: string }
  | { type: 'end'; result: ChangeResult };

export interface ApplyOptions {
  /** Apply deletes (and replacements, and env keys the file dropped). */
  readonly prune?: boolean;
  readonly onEvent?: (e: ApplyEvent) => void;
}

export interface ApplyReport {
  readonly results: readonly ChangeResult[];
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  readonly durationMs: number;
}

interface Step {
  change: Change;
  run: (job: <T>(plan: JobPlan<T>) => Promise<T>) => Promise<string | undefined>;
}

/**
 * `infrakt apply`: runs a plan's changes, one chain per server in dependency order (server → provision →
 * databases → apps → routes → proxy; deletes last), all chains at once. A chain stops at its first failure and
 * reports the rest as skipped; other servers go on. Destructive changes need `prune`. Every remote change is a
 * recorded job.
 */
export async function applyInventory(ctx: Ctx, p: InventoryPlan, opts: ApplyOptions = {}): Promise<ApplyReport> {
  const t0 = Date.now();
  const d = p.desired;
  const want = {
    servers: new Map(d.state.servers.map((s) => [s.name, s])),
    apps: new Map(d.state.apps.map((a) => [appKey(a.server, a.name), a])),
    dbs: new Map(d.state.databases.map((x) => [appKey(x.server, x.name), x])),
    routes: new Map(d.state.routes.map((r) => [`${r.server}\0${r.domain}`, r])),
  };
  // A secret a database in this file creates: apps referring to it wait for that database (any server).
  const secretReady = new Map<string, { promise: Promise<boolean>; resolve: (ok: boolean) => void }>();
  for (const db of d.state.databases) {
    if (!db.secret) continue;
    let resolve!: (ok: boolean) => void;
    const promise = new Promise<boolean>((r) => {
      resolve = r;
    });
    secretReady.set(db.secret, { promise, resolve });
  }
  const results: ChangeResult[] = [];
  const emit = opts.onEvent ?? (() => {});

  const runChain = async (list: Change[]) => {
    let failed: string | null = null;
    for (const change of list) {
      const started = Date.now();
      const end = (r: Omit<ChangeResult, 'change' | 'durationMs'>) => {
        const result = { change, durationMs: Date.now() - started, ...r };
        results.push(result);
        emit({ type: 'end', result });
        if (change.kind === 'database' && change.action !== 'delete') {
          const spec = want.dbs.get(appKey(change.server, change.name));
          if (spec?.secret) secretReady.get(spec.secret)?.resolve(r.status === 'done');
        }
      };
      if (failed) {
        end({ status: 'skipped', jobIds: [], message: `an earlier change on ${change.server} failed (${failed})` });
        continue;
      }
      if (change.destructive && !opts.prune && change.action !== 'update') {
        end({ status: 'skipped', jobIds: [], message: 'destructive: run apply with --prune to apply it' });
        continue;
      }
      emit({ type: 'start', change });
      const jobIds: string[] = [];
      const job = async <T>(plan: JobPlan<T>): Promise<T> => {
        const handle = await ctx.jobs.start(plan.spec, plan.body);
        jobIds.push(handle.id);
        emit({ type: 'job', change, jobId: handle.id, kind: plan.spec.kind });
        return handle.done;
      };
      try {
        const step = stepFor(ctx, change, want, d.extras, secretReady, Boolean(opts.prune));
        const message = await step.run(job);
        end({ status: 'done', jobIds, ...(message ? { message } : {}) });
      } catch (e) {
        const err = toInfraktError(e);
        failed = `${change.kind} ${change.name}`;
        end({
          status: 'failed',
          jobIds,
          error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) },
        });
      }
    }
  };
  await Promise.all([...chains(p.plan.changes).values()].map(runChain));
  // Anything still waiting on a secret whose database was never reached fails rather than hangs.
  for (const s of secretReady.values()) s.resolve(false);
  const count = (s: ChangeStatus) => results.filter((r) => r.status === s).length;
  return {
    results,
    done: count('done'),
    failed: count('failed'),
    skipped: count('skipped'),
    durationMs: Date.now() - t0,
  };
}

type Wanted = {
  servers: Map<string, ServerSpec>;
  apps: Map<string, AppSpec>;
  dbs: Map<string, DatabaseSpec>;
  routes: Map<string, RouteSpec>;
};

function stepFor(
  ctx: Ctx,
  c: Change,
  want: Wanted,
  extras: InventoryPlan['desired']['extras'],
  secretReady: Map<string, { promise: Promise<boolean> }>,
  prune: boolean,
): Step {
  const key = appKey(c.server, c.name);
  switch (c.kind) {
    case 'server': {
      const spec = want.servers.get(c.name);
      return { change: c, run: (job) => applyServer(ctx, c, spec, job) };
    }
    case 'provision':
      return {
        change: c,
        run: async (job) => {
          const r = await job(await prepareProvision(ctx, c.name));
          return `${r.changed} step(s) changed on ${r.os}`;
        },
      };
    case 'database':
      return { change: c, run: (job) => applyDatabase(ctx, c, want.dbs.get(key), job) };
    case 'app':
      return {
        change: c,
        run: async (job) => {
          const spec = want.apps.get(key);
          if (spec) {
            const env = extras.env.get(key);
            for (const v of env?.values() ?? []) {
              const ref = v.startsWith('secret:') ? v.slice('secret:'.length) : null;
              const ready = ref ? secretReady.get(ref) : undefined;
              if (ready && !(await ready.promise))
                throw new InfraktError('STATE', `secret '${ref}' was not created (its database failed or was skipped)`);
            }
          }
          return applyApp(ctx, c, spec, extras, prune, job);
        },
      };
    case 'route':
      return { change: c, run: (job) => applyRoute(ctx, c, want.routes.get(`${c.server}\0${c.name}`), job) };
    case 'proxy':
      return {
        change: c,
        run: async (job) => {
          const r = await job(await prepareProxyReload(ctx, c.name));
          return r.changed ? `caddy ${r.mode}` : 'already live';
        },
      };
  }
}

type Job = <T>(plan: JobPlan<T>) => Promise<T>;

async function applyServer(ctx: Ctx, c: Change, spec: ServerSpec | undefined, job: Job): Promise<string | undefined> {
  if (c.action === 'delete' || c.action === 'replace') {
    const row = await ctx.store.db
      .selectFrom('provider_servers')
      .select('name')
      .where('name', '=', c.name)
      .executeTakeFirst();
    if (row) await destroyCloudServer(ctx, c.name, job);
    else await removeServer(ctx, c.name, { force: true });
    if (c.action === 'delete') return row ? 'destroyed at the provider' : 'forgotten locally';
  }
  if (!spec) throw new InfraktError('INTERNAL', `no spec for server ${c.name}`);
  const settings = { labels: { ...spec.labels }, proxy: spec.proxy, pullPolicy: spec.pullPolicy };
  if (c.action === 'create' || c.action === 'replace') {
    if (spec.provider) {
      await createCloudServer(
        ctx,
        {
          name: spec.name,
          provider: spec.provider.name,
          type: spec.provider.type,
          location: spec.provider.location,
          image: spec.provider.image,
          keyPath: spec.keyPath,
          root: spec.root,
          labels: spec.labels,
        },
        job,
      );
      await updateServerFields(ctx, spec.name, settings);
      return `created at ${spec.provider.name}`;
    }
    const { probe } = await addServer(ctx, {
      name: spec.name,
      host: spec.host!,
      user: spec.user,
      port: spec.port,
      ...(spec.keyPath ? { keyPath: spec.keyPath } : {}),
      root: spec.root,
      ...(spec.fingerprint ? { fingerprint: spec.fingerprint } : {}),
      proxy: spec.proxy,
    });
    await updateServerFields(ctx, spec.name, settings);
    if (probe.status !== 'ok') throw probeError(c.name, probe.error);
    return `registered, host key ${probe.fingerprint}`;
  }
  const connFields = new Set(['host', 'user', 'port', 'key', 'root']);
  const touched = new Set(c.fields.map((f) => f.field));
  await updateServerFields(ctx, spec.name, {
    ...(touched.has('host') && spec.host ? { host: spec.host } : {}),
    ...(touched.has('user') ? { user: spec.user } : {}),
    ...(touched.has('port') ? { port: spec.port } : {}),
    ...(touched.has('key') ? { keyPath: spec.keyPath } : {}),
    ...(touched.has('root') ? { root: spec.root } : {}),
    ...settings,
  });
  if (touched.has('fingerprint') && spec.fingerprint)
    await trustServer(ctx, spec.name, { fingerprint: spec.fingerprint });
  else if ([...touched].some((f) => connFields.has(f))) {
    const probe = await testServer(ctx, spec.name);
    if (probe.status !== 'ok') throw probeError(c.name, probe.error);
  }
  return undefined;
}

const probeError = (name: string, e: { code: string; message: string; hint?: string } | null) =>
  new InfraktError(
    (e?.code as InfraktError['code']) ?? 'SSH_UNREACHABLE',
    `${name}: ${e?.message ?? 'connection failed'}`,
    {
      hint: e?.hint,
    },
  );

async function applyDatabase(
  ctx: Ctx,
  c: Change,
  spec: DatabaseSpec | undefined,
  job: Job,
): Promise<string | undefined> {
  if (c.action === 'delete' || c.action === 'replace') {
    await job(await prepareDestroyDatabase(ctx, c.name, { server: c.server }));
    if (c.action === 'delete') return 'destroyed (backups kept)';
  }
  if (!spec) throw new InfraktError('INTERNAL', `no spec for database ${c.name}`);
  if (c.action === 'create' || c.action === 'replace') {
    if (spec.secret) {
      // The secret of an earlier incarnation of this database is replaced; anyone else's is never touched.
      const old = await ctx.store.db
        .selectFrom('secrets')
        .select('source')
        .where('name', '=', spec.secret)
        .executeTakeFirst();
      if (old?.source === `db create ${spec.server}/${spec.name}`) await deleteSecret(ctx, spec.secret);
    }
    await job(
      await prepareCreateDatabase(ctx, {
        server: spec.server,
        name: spec.name,
        type: spec.type,
        version: spec.version,
        ...(spec.secret ? { storeAsSecret: spec.secret } : {}),
      }),
    );
    if (spec.backup)
      await job(
        await prepareSchedule(ctx, spec.name, {
          server: spec.server,
          cron: spec.backup.schedule,
          keep: spec.backup.keep,
        }),
      );
    return spec.secret ? `connection string stored as secret ${spec.secret}` : undefined;
  }
  if (c.fields.some((f) => f.field === 'backup')) {
    const current = await ctx.store.db
      .selectFrom('apps')
      .select('settings_json')
      .where('name', '=', spec.name)
      .executeTakeFirst();
    const had = Boolean((JSON.parse(current?.settings_json ?? '{}') as { db?: { schedule?: unknown } }).db?.schedule);
    if (spec.backup)
      await job(
        await prepareSchedule(ctx, spec.name, {
          server: spec.server,
          cron: normalCron(spec.backup.schedule),
          keep: spec.backup.keep,
        }),
      );
    else if (had) await job(await prepareSchedule(ctx, spec.name, { server: spec.server, cron: null }));
  }
  if (c.notes.length) await job(await prepareStartDatabase(ctx, spec.name, spec.server));
  return undefined;
}

async function applyApp(
  ctx: Ctx,
  c: Change,
  spec: AppSpec | undefined,
  extras: InventoryPlan['desired']['extras'],
  prune: boolean,
  job: Job,
): Promise<string | undefined> {
  if (c.action === 'delete' || c.action === 'replace') {
    await job(await prepareDestroy(ctx, c.name, { server: c.server }));
    if (c.action === 'delete') return 'destroyed';
  }
  if (!spec) throw new InfraktError('INTERNAL', `no spec for app ${c.name}`);
  const key = appKey(spec.server, spec.name);
  const env = extras.env.get(key);
  let reloadProxy = false;
  if (c.action === 'create' || c.action === 'replace') {
    const src = spec.source;
    await createApp(ctx, {
      server: spec.server,
      name: spec.name,
      port: spec.port,
      ...(spec.domains[0] ? { domain: spec.domains[0] } : {}),
      ...(src.type === 'image' ? { image: src.image } : src.type === 'git' ? { git: src.git, branch: src.branch } : {}),
      health: { path: spec.healthPath, timeoutMs: spec.healthTimeoutMs },
      ...(src.type === 'compose' ? { composeFile: extras.compose.get(key)! } : {}),
    });
  } else {
    const touched = new Set(c.fields.map((f) => f.field));
    if (touched.has('source')) {
      const src = spec.source;
      await updateAppSource(
        ctx,
        spec.name,
        src.type === 'image'
          ? { image: src.image }
          : src.type === 'git'
            ? { branch: src.branch }
            : { composeFile: extras.compose.get(key)! },
        spec.server,
      );
    }
    const r = await updateAppFields(ctx, spec.server, spec.name, {
      ...(touched.has('port') ? { port: spec.port } : {}),
      ...(touched.has('domains') ? { domain: spec.domains[0] ?? null } : {}),
      ...(touched.has('health.path') ? { healthPath: spec.healthPath } : {}),
      ...(touched.has('health.timeout') ? { healthTimeoutMs: spec.healthTimeoutMs } : {}),
    });
    reloadProxy = r.routeRemoved && spec.domains.length === 0;
  }
  if (env && env.size > 0)
    await setEnv(
      ctx,
      spec.name,
      [...env].map(([k, v]) => `${k}=${v}`),
      spec.server,
    );
  const removed = c.envRemoved ?? [];
  if (prune) for (const k of removed) await deleteEnv(ctx, spec.name, k, spec.server);
  if (c.deploy || (prune && removed.length > 0)) {
    const r = await job(await prepareDeploy(ctx, spec.name, { server: spec.server, wait: true }));
    if (reloadProxy) await job(await prepareProxyReload(ctx, spec.server));
    return `release ${r.release} serving${removed.length && !prune ? `; ${removed.length} env key(s) kept (--prune removes them)` : ''}`;
  }
  return removed.length && !prune ? `${removed.length} env key(s) kept (--prune removes them)` : undefined;
}

async function applyRoute(ctx: Ctx, c: Change, spec: RouteSpec | undefined, job: Job): Promise<string | undefined> {
  if (c.action === 'delete' || c.action === 'update')
    await job(await prepareProxyRemove(ctx, { domain: c.name, server: c.server }));
  if (c.action === 'delete') return 'removed';
  if (!spec) throw new InfraktError('INTERNAL', `no spec for route ${c.name}`);
  await job(await prepareProxyAdd(ctx, { domain: spec.domain, server: spec.server, port: spec.port }));
  return `→ 127.0.0.1:${spec.port}`;
}
