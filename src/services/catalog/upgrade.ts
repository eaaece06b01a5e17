// `catalog upgrade NAME [--to VERSION]`: the app's template and env are re-rendered from the newer entry with
// the values the install used, then deployed through the same health-gated switch. When the deploy fails the
// app record (template, env, version) is put back and the previous version is deployed again, so the services
// updated in place return to it too; the new release never took traffic.
import type { AppRow, ProxyRouteRow } from '../../adapters/store/schema.js';
import { renderEntry, valuesFromEnv } from '../../core/catalog/render.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import { domainSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import { resolveApp, updateApp } from '../apps/apps.js';
import type { DeployResult } from '../apps/deploy/deploy-app.js';
import { runRelease } from '../apps/deploy/run-release.js';
import { decryptedEnv } from '../apps/env.js';
import {
  allowCatalogPrivileges,
  allowedPrivileges,
  catalogComposePrivileges,
  restoreAllowance,
} from '../apps/privileges.js';
import { sha256 } from '../apps/release-source.js';
import { applyStep } from '../proxy/proxy.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { withServer } from '../shared/server-session.js';
import { catalogSettings, deployStepNames, envSnapshot, restoreEnv, writeEnv } from './app-records.js';
import { type CatalogOptions, compareVersions, findEntry, openCatalog } from './catalog-index.js';
import { type InstallOutput, outputsOf } from './install-compose.js';
import { resolveOrThrow, secretValues } from './values.js';

export interface UpgradeRequest extends CatalogOptions {
  readonly server?: string | undefined;
  readonly to?: string | undefined;
  /** New values (e.g. an input the new version added); everything else keeps its installed value. */
  readonly values?: Readonly<Record<string, string>>;
  /**
   * A new domain for the app (null: none), re-rendered (INFRAKT_DOMAIN, INFRAKT_URL) and routed by the same
   * health-gated deploy; a failed upgrade puts the old domain and its route back. Undefined: unchanged.
   */
  readonly domain?: string | null | undefined;
}

export interface UpgradeResult {
  readonly app: string;
  readonly server: string;
  readonly entry: string;
  readonly from: string;
  readonly to: string;
  readonly release: number;
  /** The domain before the upgrade when it changed it. */
  readonly domainFrom?: string | null;
  readonly upgradeNotes: string | null;
  readonly outputs: readonly InstallOutput[];
  readonly generated: readonly string[];
}

export async function prepareCatalogUpgrade(
  ctx: Ctx,
  appName: string,
  req: UpgradeRequest = {},
): Promise<JobPlan<UpgradeResult>> {
  const { app, server } = await resolveApp(ctx, appName, req.server);
  const installed = catalogSettings(app);
  if (!installed)
    throw new InfraktError('VALIDATION', `'${app.name}' was not installed from the catalog`, {
      hint: `update it with: infrakt app update ${app.name} --compose-file <path>`,
    });
  const entry = findEntry(openCatalog(req), installed.id, req.to);
  const m = entry.manifest;
  if (m.kind !== 'compose') throw new InfraktError('STATE', `${m.id} is not a compose entry`);
  const given = req.values ?? {};
  const domain = await newDomain(ctx, app, server.id, req.domain);
  const domainChanged = domain !== app.domain;
  if (m.version === installed.version && Object.keys(given).length === 0 && !domainChanged)
    throw new InfraktError('STATE', `'${app.name}' already runs ${m.id} ${m.version}`, {
      hint: req.to ? undefined : 'there is no newer version in the catalog (add one with --catalog-dir)',
    });
  if (compareVersions(m.version, installed.version) < 0 && !req.to)
    throw new InfraktError(
      'STATE',
      `the catalog's ${m.id} ${m.version} is older than the installed ${installed.version}`,
    );
  const stored = await decryptedEnv(ctx, app);
  const previous = valuesFromEnv(m, Object.fromEntries([...stored].map(([k, v]) => [k, v.reveal()])));
  const resolved = resolveOrThrow(m, given, previous);
  const rendered = renderEntry(m, resolved.values, { app: app.name, server: server.name, domain });
  const route = m.routes[0]!;
  const template = entry.template!;
  // As for an install: the new version's privileged options are allowed by an admin's upgrade, refused below.
  const needed = catalogComposePrivileges(ctx, template, m.id, app.name);
  return {
    spec: appJobSpec(app, server, 'catalog.upgrade', {
      params: { app: app.name, entry: m.id, from: installed.version, to: m.version },
      steps: [
        'apply new version',
        ...deployStepNames({
          app: app.name,
          root: server.root_dir,
          port: route.port,
          content: template,
          domain,
        }),
      ],
    }),
    body: async (job) => {
      job.addSecrets(...secretValues(m, resolved.values), ...stored.values());
      const before = {
        settings_json: app.settings_json,
        port: app.port,
        domain: app.domain,
        env: await envSnapshot(ctx, app.id),
        routes: await ctx.store.db.selectFrom('proxy_routes').selectAll().where('app_id', '=', app.id).execute(),
        allowed: await allowedPrivileges(ctx, app.id),
      };
      await job.step('apply new version', async (s) => {
        const settings = JSON.parse(app.settings_json || '{}') as Record<string, unknown>;
        await updateApp(ctx, app.id, {
          port: route.port,
          settings_json: JSON.stringify({
            ...settings,
            compose: { content: template, sha256: sha256(template) },
            health: {
              path: m.health?.path ?? '/',
              intervalMs: 1000,
              timeoutMs: m.timeout_seconds * 1000,
              ...(m.health?.accept_status ? { accept: m.health.accept_status } : {}),
            },
            catalog: { ...installed, version: m.version, source: entry.source, upgradedAt: nowIso(ctx) },
          }),
        });
        await writeEnv(ctx, app.id, rendered.env);
        const allowed = await allowCatalogPrivileges(
          ctx,
          app,
          `${server.name}/${app.name}`,
          needed,
          `${m.id} ${m.version}`,
        );
        if (domainChanged) {
          // The old domain's route goes now; the deploy routes the new one once the new release is healthy.
          await updateApp(ctx, app.id, { domain });
          await ctx.store.db.deleteFrom('proxy_routes').where('app_id', '=', app.id).execute();
        }
        s.detail(
          `${m.id} ${installed.version} → ${m.version}${domainChanged ? `; domain ${app.domain ?? '-'} → ${domain ?? '-'}` : ''}${
            allowed.length ? `; allowed ${allowed.join(', ')} (what its compose file needs)` : ''
          }`,
        );
      });
      let deployed: DeployResult;
      try {
        deployed = await runRelease(ctx, job, app.id, { action: 'deploy' });
      } catch (e) {
        const err = toInfraktError(e);
        const started = await ctx.store.db
          .selectFrom('deployments')
          .select('id')
          .where('app_id', '=', app.id)
          .where('job_id', '=', job.id)
          .executeTakeFirst();
        await job.step(`roll back to ${installed.version}`, async (s) => {
          await updateApp(ctx, app.id, {
            settings_json: before.settings_json,
            port: before.port,
            domain: before.domain,
          });
          await restoreEnv(ctx, app.id, before.env);
          await restoreAllowance(ctx, app, before.allowed);
          if (domainChanged) await restoreRoutes(ctx, app.id, before.routes);
          s.detail(`record restored to ${m.id} ${installed.version}`);
        });
        let note = 'the previous version kept serving; nothing on the server changed';
        if (started) {
          // The server was touched (env file, services updated in place): deploy the previous version again.
          try {
            await runRelease(ctx, job, app.id, { action: 'deploy' });
            note = `redeployed ${installed.version}`;
          } catch (again) {
            note = `redeploying ${installed.version} failed too: ${toInfraktError(again).message}`;
          }
        }
        await audit(ctx, 'catalog.upgrade.failed', `${server.name}/${app.name}`, {
          from: installed.version,
          to: m.version,
        });
        throw new InfraktError(
          err.code,
          `upgrade of ${app.name} to ${m.id} ${m.version} failed: ${err.message}; rolled back (${note})`,
          {
            hint: err.hint ?? `see the job log: infrakt job logs ${job.id}`,
            details: { ...err.details, rolledBackTo: installed.version },
          },
        );
      }
      // A deploy without a domain switches no route: the removed domain leaves Caddy by rendering the config again.
      if (domainChanged && domain === null)
        await withServer(ctx, job, server, { lock: null }, ({ ex }) => applyStep(ctx, job, ex, server));
      await audit(ctx, 'catalog.upgrade', `${server.name}/${app.name}`, { from: installed.version, to: m.version });
      return {
        app: app.name,
        server: server.name,
        entry: m.id,
        from: installed.version,
        to: m.version,
        release: deployed.release,
        ...(domainChanged ? { domainFrom: app.domain } : {}),
        upgradeNotes: m.upgrade_notes ?? null,
        outputs: outputsOf(rendered.outputs.filter((o) => resolved.generated.length > 0 || !o.secret)),
        generated: resolved.generated,
      };
    },
  };
}

/** The domain an upgrade leaves the app with: checked and free on the server (no other app or manual route). */
async function newDomain(
  ctx: Ctx,
  app: AppRow,
  serverId: number,
  wanted: string | null | undefined,
): Promise<string | null> {
  if (wanted === undefined || wanted === app.domain) return app.domain;
  if (wanted === null) return null;
  const domain = parseInput(domainSchema, wanted, 'domain');
  const taken = await ctx.store.db
    .selectFrom('proxy_routes')
    .leftJoin('apps', 'apps.id', 'proxy_routes.app_id')
    .select(['proxy_routes.app_id', 'apps.name'])
    .where('proxy_routes.server_id', '=', serverId)
    .where('proxy_routes.domain', '=', domain)
    .executeTakeFirst();
  const appTaken = await ctx.store.db
    .selectFrom('apps')
    .select('name')
    .where('server_id', '=', serverId)
    .where('domain', '=', domain)
    .where('id', '!=', app.id)
    .executeTakeFirst();
  if (appTaken || (taken && taken.app_id !== app.id))
    throw new InfraktError(
      'CONFLICT',
      `${domain} is already routed${appTaken ? ` to app '${appTaken.name}'` : taken?.name ? ` to app '${taken.name}'` : ' (a manual route)'}`,
    );
  return domain;
}

async function restoreRoutes(ctx: Ctx, appId: number, rows: readonly ProxyRouteRow[]): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('proxy_routes').where('app_id', '=', appId).execute();
    for (const { id: _id, ...row } of rows) await trx.insertInto('proxy_routes').values(row).execute();
  });
}
