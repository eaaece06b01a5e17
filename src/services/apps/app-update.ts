import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import { parseComposeFile } from '../../core/plans/deploy-compose.js';
import type { AppUpdateResult } from '../../core/schemas/views/apps.js';
import { assertComposeForCluster } from '../../core/swarm/compose-stack.js';
import { clusterAppOf } from '../clusters/cluster-apps.js';
import { clusterRoutePlan } from '../clusters/cluster-routes.js';
import { applyProxyConfig } from '../proxy/proxy-config.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { withServer } from '../shared/server-session.js';
import { appDomains, assertDomainsFree, restoreRoutes, syncRoutes, writeDomains } from './app-domains.js';
import { appSettings } from './app-settings.js';
import { pendingChanges } from './app-settings-view.js';
import { type AppUpdateDraft, type AppUpdateInput, draftAppUpdate } from './app-update-input.js';
import { resolveApp } from './apps.js';
import { assertGitSourceAllowed, ensureDeployKey, gitRemoteOf, sealGitToken } from './git-access.js';
import { allowedPrivileges, assertComposeAllowed } from './privileges.js';

export type { AppUpdateInput } from './app-update-input.js';

const NOTHING_HINT =
  'pass what to change, e.g. --domain, --port, --health-path, --memory, --cpus, --restart, --volume, --release-command, --image, --branch';

/**
 * `app update`: every option is validated first (a bad one changes nothing). Route changes (domains, the www
 * redirect) go live at once when the app is deployed: a job writes them, re-renders and reloads Caddy, and puts
 * everything back if the new config does not load. Everything else is stored and applied by the next deploy
 * (`app show` lists it as pending).
 */
export async function prepareAppUpdate(
  ctx: Ctx,
  name: string,
  input: AppUpdateInput,
  opts: { server?: string | undefined } = {},
): Promise<{ plan: JobPlan<AppUpdateResult> | null; store: () => Promise<AppUpdateResult> }> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  const domains = await appDomains(ctx.store.db, app);
  const draft = draftAppUpdate(app, appSettings(app), domains, input);
  if (draft.changed.length === 0 && !draft.routesChange) {
    if (Object.values(input).every((v) => v === undefined))
      throw new InfraktError('VALIDATION', 'nothing to update', { hint: NOTHING_HINT });
  }
  if (draft.row.git_repo) await assertGitSourceAllowed(ctx, server, draft.row.git_repo);
  // A new compose file may not give a non-admin root on the server (privileged, host namespaces, the socket…).
  if (input.composeFile !== undefined && draft.settings.compose)
    assertComposeAllowed(ctx, draft.settings.compose.content, { allowed: await allowedPrivileges(ctx, app.id) });
  // A compose app on a cluster: its new file (or port) must still make a stack file Swarm can run.
  if (app.app_type === 'compose' && draft.settings.compose && (await clusterAppOf(ctx, app)))
    assertComposeForCluster(parseComposeFile(draft.settings.compose.content), draft.row.port ?? app.port);
  const ca = draft.routesChange ? await clusterAppOf(ctx, app) : null;
  // The cluster's edge renders plain sites per domain: no www redirect there (yet); say so instead of ignoring it.
  if (ca && input.wwwRedirect === true) {
    throw new InfraktError('UNSUPPORTED', `'${app.name}' runs on a cluster: its edge proxy has no www redirect`, {
      hint: 'add the www name as another domain instead: --domain example.com --domain www.example.com',
    });
  }
  const nextDomains = draft.domains ?? domains;
  // Checked now so that a taken domain fails before any job; checked again in the transaction that writes.
  if (draft.routesChange) await assertDomainsFree(ctx.store.db, app, nextDomains, Boolean(draft.settings.wwwRedirect));
  const livePort = draft.routesChange && !ca ? await routedPort(ctx, app) : null;
  const finish = async (routes: AppUpdateResult['routes']): Promise<AppUpdateResult> => {
    const row = await ctx.store.db.selectFrom('apps').selectAll().where('id', '=', app.id).executeTakeFirstOrThrow();
    if (row.app_type === 'git' && gitRemoteOf(row.git_repo ?? '').kind === 'ssh')
      await ensureDeployKey(ctx, row, server.name);
    await audit(ctx, 'app.update', `${server.name}/${app.name}`, { changed: draft.changed, routes });
    return {
      app: app.name,
      server: server.name,
      changed: draft.changed,
      routes,
      pending: await pendingChanges(ctx, row),
    };
  };
  const store = async () => {
    await ctx.store.db.transaction().execute((trx) => write(ctx, trx, app, draft, nextDomains));
    return finish(draft.routesChange ? 'stored' : 'unchanged');
  };
  // A deployed cluster app: its routes live on every node's edge proxy, updated at once like a server's Caddy.
  if (ca && app.current_release !== null) {
    const writeNow = async () => {
      const before = await ctx.store.db
        .selectFrom('apps')
        .selectAll()
        .where('id', '=', app.id)
        .executeTakeFirstOrThrow();
      const beforeDomains = await appDomains(ctx.store.db, before);
      await ctx.store.db.transaction().execute((trx) => write(ctx, trx, app, draft, nextDomains));
      return () =>
        ctx.store.db.transaction().execute(async (trx) => {
          const { id: _id, ...row } = before;
          await trx.updateTable('apps').set(row).where('id', '=', app.id).execute();
          await writeDomains(ctx, trx, app, beforeDomains);
        });
    };
    return { store, plan: clusterRoutePlan(ctx, app, server, ca, nextDomains, { write: writeNow, finish }) };
  }
  if (livePort === null) return { plan: null, store };
  return { store, plan: routePlan(ctx, app, server, draft, nextDomains, livePort, finish) };
}

type Db = Parameters<typeof writeDomains>[1];

async function write(ctx: Ctx, db: Db, app: AppRow, draft: AppUpdateDraft, domains: string[]): Promise<void> {
  if (draft.routesChange) await assertDomainsFree(db, app, domains, Boolean(draft.settings.wwwRedirect));
  const settings = { ...draft.settings };
  if (draft.token)
    settings.git = { ...settings.git, token: sealGitToken(ctx, app.id, draft.token.value, draft.token.username) };
  await db
    .updateTable('apps')
    .set({ ...draft.row, settings_json: JSON.stringify(settings), updated_at: nowIso(ctx) })
    .where('id', '=', app.id)
    .execute();
  if (draft.domains) await writeDomains(ctx, db, app, domains);
}

/** The loopback port the app's domains route to now: its live route, or its current release's port. */
async function routedPort(ctx: Ctx, app: AppRow): Promise<number | null> {
  const route = await ctx.store.db
    .selectFrom('proxy_routes')
    .select('upstream_port')
    .where('app_id', '=', app.id)
    .executeTakeFirst();
  if (route) return route.upstream_port;
  if (app.current_release === null) return null;
  const dep = await ctx.store.db
    .selectFrom('deployments')
    .select('host_port')
    .where('app_id', '=', app.id)
    .where('release', '=', app.current_release)
    .where('status', '=', 'succeeded')
    .executeTakeFirst();
  return dep?.host_port ?? null;
}

function routePlan(
  ctx: Ctx,
  app: AppRow,
  server: ServerRow,
  draft: AppUpdateDraft,
  domains: string[],
  port: number,
  finish: (routes: AppUpdateResult['routes']) => Promise<AppUpdateResult>,
): JobPlan<AppUpdateResult> {
  return {
    spec: appJobSpec(app, server, 'app.update', {
      params: { app: app.name, domains },
      steps: ['connect', 'update proxy'],
    }),
    body: (job) =>
      withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
        await job.step('update proxy', async (s) => {
          // The app as it is now (it may have waited for its lock), to put back exactly on failure.
          const before = await ctx.store.db
            .selectFrom('apps')
            .selectAll()
            .where('id', '=', app.id)
            .executeTakeFirstOrThrow();
          const beforeDomains = await appDomains(ctx.store.db, before);
          const routesBefore = await ctx.store.db.transaction().execute(async (trx) => {
            await write(ctx, trx, app, draft, domains);
            return syncRoutes(ctx, trx, app, domains, port);
          });
          try {
            await applyProxyConfig(ctx, ex, server, { log: (l) => s.log(l), jobId: job.id, expectChange: true });
          } catch (e) {
            await ctx.store.db.transaction().execute(async (trx) => {
              const { id: _id, ...row } = before;
              await trx.updateTable('apps').set(row).where('id', '=', app.id).execute();
              await writeDomains(ctx, trx, app, beforeDomains);
              await restoreRoutes(trx, app.id, routesBefore);
            });
            s.log('the new Caddy config did not go live: the previous domains and routes were put back', 'stderr');
            throw e;
          }
          s.detail(domains.length ? `${domains.join(', ')} → 127.0.0.1:${port}` : 'no domains: routes removed');
        });
        return finish('applied');
      }),
  };
}
