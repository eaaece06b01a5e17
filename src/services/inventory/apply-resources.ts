import { InfraktError } from '../../core/errors.js';
import type { Change } from '../../core/inventory/change.js';
import type { AppSpec, DatabaseSpec, RouteSpec, ServerSpec } from '../../core/inventory/model.js';
import { prepareDestroy } from '../apps/app-lifecycle.js';
import { type AppUpdateInput, prepareAppUpdate } from '../apps/app-update.js';
import { createApp } from '../apps/apps.js';
import { prepareDeploy } from '../apps/deploy/deploy-app.js';
import { deleteEnv, setEnv } from '../apps/env.js';
import { prepareSchedule } from '../databases/backups-schedule.js';
import { prepareCreateDatabase } from '../databases/create.js';
import { prepareDestroyDatabase } from '../databases/databases.js';
import { createCloudServer } from '../providers/server-create.js';
import { destroyCloudServer } from '../providers/server-destroy.js';
import { prepareProxyAdd, prepareProxyRemove } from '../proxy/proxy.js';
import { deleteSecret } from '../secrets/secrets.js';
import { addServer, testServer, trustServer } from '../servers/server-remote.js';
import { removeServer } from '../servers/servers.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { normalCron } from './actual.js';
import { prepareStartDatabase } from './database-start.js';
import { appKey } from './desired.js';
import type { InventoryPlan } from './plan.js';
import { updateServerFields } from './resource-updates.js';

/** What apply does for each kind of change (the jobs it runs through `job`). */
export type Job = <T>(plan: JobPlan<T>) => Promise<T>;

export async function applyServer(
  ctx: Ctx,
  c: Change,
  spec: ServerSpec | undefined,
  job: Job,
): Promise<string | undefined> {
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

export async function applyDatabase(
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

export async function applyApp(
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
    // What `app create` does not take goes through `app update` before the first deploy: further domains,
    // volumes, limits.
    const more: AppUpdateInput = {
      ...(spec.domains.length > 1 ? { domains: [...spec.domains] } : {}),
      ...(spec.volumes?.length ? { volumes: [...spec.volumes] } : {}),
      ...(spec.limits?.memory ? { memory: spec.limits.memory } : {}),
      ...(spec.limits?.cpus ? { cpus: spec.limits.cpus } : {}),
    };
    if (Object.keys(more).length > 0) {
      const { plan, store } = await prepareAppUpdate(ctx, spec.name, more, { server: spec.server });
      if (plan) await job(plan);
      else await store();
    }
  } else {
    const touched = new Set(c.fields.map((f) => f.field));
    const src = spec.source;
    const input: AppUpdateInput = {
      ...(touched.has('source')
        ? src.type === 'image'
          ? { image: src.image }
          : src.type === 'git'
            ? { branch: src.branch }
            : { composeFile: extras.compose.get(key)! }
        : {}),
      ...(touched.has('port') ? { port: spec.port } : {}),
      ...(touched.has('domains') ? { domains: [...spec.domains] } : {}),
      ...(touched.has('health.path') ? { healthPath: spec.healthPath } : {}),
      ...(touched.has('health.timeout') ? { healthTimeout: spec.healthTimeoutMs / 1000 } : {}),
      ...(touched.has('volumes') && spec.volumes ? { volumes: [...spec.volumes] } : {}),
      ...(touched.has('limits.memory') && spec.limits ? { memory: spec.limits.memory } : {}),
      ...(touched.has('limits.cpus') && spec.limits ? { cpus: spec.limits.cpus } : {}),
    };
    // The same service as `app update`: domains go live at once on a deployed app, the rest at the deploy.
    if (Object.keys(input).length > 0) {
      const { plan, store } = await prepareAppUpdate(ctx, spec.name, input, { server: spec.server });
      if (plan) await job(plan);
      else await store();
    }
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
    return `release ${r.release} serving${removed.length && !prune ? `; ${removed.length} env key(s) kept (--prune removes them)` : ''}`;
  }
  return removed.length && !prune ? `${removed.length} env key(s) kept (--prune removes them)` : undefined;
}

export async function applyRoute(
  ctx: Ctx,
  c: Change,
  spec: RouteSpec | undefined,
  job: Job,
): Promise<string | undefined> {
  if (c.action === 'delete' || c.action === 'update')
    await job(await prepareProxyRemove(ctx, { domain: c.name, server: c.server }));
  if (c.action === 'delete') return 'removed';
  if (!spec) throw new InfraktError('INTERNAL', `no spec for route ${c.name}`);
  await job(await prepareProxyAdd(ctx, { domain: spec.domain, server: spec.server, port: spec.port }));
  return `→ 127.0.0.1:${spec.port}`;
}
