import type { AppRow, DeploymentRow, ServerRow } from '../../adapters/store/schema.js';
import type { ComposeFlavour } from '../../core/commands/compose.js';
import * as compose from '../../core/commands/compose.js';
import * as docker from '../../core/commands/docker.js';
import { InfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import type { DeployAction } from '../../core/plans/deploy.js';
import type { DeploymentView } from '../../core/schemas/views/apps.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { resolveApp } from './apps.js';
import type { ReleaseDetails } from './release-source.js';

/** The store lock every job acting on an app holds (deploy, rollback, env push, restart, stop, destroy). */
export const appLock = (appId: number): string => `app:${appId}`;

export async function detectFlavour(ex: Executor): Promise<ComposeFlavour> {
  const r = await ex.run(compose.detectFlavour());
  const f = r.stdout.trim();
  if (r.exitCode !== 0 || (f !== 'v1' && f !== 'v2')) {
    throw new InfraktError('UNSUPPORTED', `neither 'docker compose' nor 'docker-compose' works on ${ex.target}`, {
      hint: 'provision the server first (infrakt server provision <name>) or install Docker Compose',
    });
  }
  return f;
}

/** Every release project of the app on the server (also ones left by killed deploys), from container labels. */
export async function appProjects(ex: Executor, server: ServerRow, app: Pick<AppRow, 'name'>): Promise<string[]> {
  const r = await runChecked(
    ex,
    docker.projectsByLabels({ [docker.LABEL_APP]: app.name, [docker.LABEL_ROOT]: server.root_dir }),
    { what: 'list releases' },
  );
  return [
    ...new Set(
      r.stdout
        .split('\n')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
}

/**
 * Opens the deployment record (status running) under a fresh release number. Records left `running` by a
 * killed CLI are closed as failed first: the caller holds the app lock, so nothing else can be running.
 */
export async function startDeployment(ctx: Ctx, app: AppRow, action: DeployAction, jobId: string) {
  const now = nowIso(ctx);
  await ctx.store.db
    .updateTable('deployments')
    .set({ status: 'failed', error: 'interrupted (the deploy process ended before finishing)', finished_at: now })
    .where('app_id', '=', app.id)
    .where('status', '=', 'running')
    .execute();
  const last = await ctx.store.db
    .selectFrom('deployments')
    .select((eb) => eb.fn.max('release').as('max'))
    .where('app_id', '=', app.id)
    .executeTakeFirst();
  const release = Number(last?.max ?? 0) + 1;
  const source_type = app.app_type;
  const row = await ctx.store.db
    .insertInto('deployments')
    .values({
      app_id: app.id,
      release,
      action,
      source_type,
      source_ref: null,
      status: 'running',
      host_port: null,
      error: null,
      triggered_by: ctx.actor,
      job_id: jobId,
      details_json: '{}',
      started_at: now,
      finished_at: null,
    })
    .returning(['id', 'release'])
    .executeTakeFirstOrThrow();
  if (app.current_release === null) {
    await ctx.store.db
      .updateTable('apps')
      .set({ status: 'deploying', updated_at: now })
      .where('id', '=', app.id)
      .execute();
  }
  return row;
}

export type DeploymentOutcome =
  | { status: 'succeeded'; release: number; hostPort: number; sourceRef: string; details: ReleaseDetails }
  | { status: 'failed'; error: string; logs: string; keepServing: boolean };

export async function finishDeployment(ctx: Ctx, id: number, app: AppRow, o: DeploymentOutcome): Promise<void> {
  const now = nowIso(ctx);
  if (o.status === 'succeeded') {
    await ctx.store.db
      .updateTable('deployments')
      .set({
        status: 'succeeded',
        host_port: o.hostPort,
        source_ref: o.sourceRef,
        details_json: JSON.stringify(o.details),
        finished_at: now,
      })
      .where('id', '=', id)
      .execute();
    await ctx.store.db
      .updateTable('apps')
      .set({ status: 'running', current_release: o.release, updated_at: now })
      .where('id', '=', app.id)
      .execute();
    return;
  }
  await ctx.store.db
    .updateTable('deployments')
    .set({
      status: 'failed',
      error: o.error,
      details_json: JSON.stringify(o.logs ? { logs: o.logs } : {}),
      finished_at: now,
    })
    .where('id', '=', id)
    .execute();
  const current = await ctx.store.db
    .selectFrom('apps')
    .select(['current_release', 'status'])
    .where('id', '=', app.id)
    .executeTakeFirst();
  const status =
    current?.current_release != null ? (current.status === 'deploying' ? 'running' : current.status) : 'failed';
  await ctx.store.db.updateTable('apps').set({ status, updated_at: now }).where('id', '=', app.id).execute();
}

export const releaseDetails = (row: Pick<DeploymentRow, 'details_json'>): ReleaseDetails =>
  JSON.parse(row.details_json || '{}') as ReleaseDetails;

export async function listDeployments(
  ctx: Ctx,
  name: string,
  opts: { server?: string; limit?: number } = {},
): Promise<DeploymentView[]> {
  const { app } = await resolveApp(ctx, name, opts.server);
  const rows = await ctx.store.db
    .selectFrom('deployments')
    .selectAll()
    .where('app_id', '=', app.id)
    .orderBy('id', 'desc')
    .limit(opts.limit ?? 50)
    .execute();
  const currentId = rows.find((r) => r.status === 'succeeded' && r.release === app.current_release)?.id;
  return rows.map((r) => {
    const d = JSON.parse(r.details_json || '{}') as { logs?: string };
    return {
      id: r.id,
      release: r.release,
      action: r.action,
      sourceType: r.source_type,
      source: r.source_ref,
      status: r.status,
      current: r.id === currentId,
      hostPort: r.host_port,
      error: r.error,
      logs: typeof d.logs === 'string' ? d.logs : null,
      by: r.triggered_by,
      jobId: r.job_id,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    };
  });
}

/** The succeeded deployment of a release still kept (for rollback / env push). */
export async function keptRelease(ctx: Ctx, app: AppRow, release: number) {
  const row = await ctx.store.db
    .selectFrom('deployments')
    .selectAll()
    .where('app_id', '=', app.id)
    .where('release', '=', release)
    .where('status', '=', 'succeeded')
    .executeTakeFirst();
  if (!row) {
    throw new InfraktError('NOT_FOUND', `release ${release} of '${app.name}' is not a successful release`, {
      hint: `list releases with: infrakt app deployments ${app.name}`,
    });
  }
  return row;
}
