import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import { branchSchema, nameSchema } from '../../core/schemas/common.js';
import type { Secret } from '../../core/secret.js';
import { prepareDestroy } from '../apps/app-lifecycle.js';
import { createApp, resolveApp } from '../apps/apps.js';
import { releaseJobPlan } from '../apps/deploy/deploy-app.js';
import { decryptedEnv } from '../apps/env.js';
import { inheritedGitAccess, patchAppSettings } from '../apps/git-access.js';
import { appSettings } from '../apps/release-source.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { APP_LOCK_WAIT_MS } from '../shared/job-spec.js';
import type { DeployQueue, KeyedMutex } from '../webhooks/deploy-queue.js';
import { previewEnvPurpose, previewSettingsOf } from './settings.js';

export const previewAppName = (app: string, pr: number) => `${app}-pr-${pr}`;

export interface PullRequestHead {
  number: number;
  /** The commit to deploy (the pull request's head). */
  sha: string;
  /** Its branch (may live in a fork). */
  ref: string;
  /** Refs of the base repository that contain `sha` (e.g. `refs/pull/<n>/head`). */
  refs: readonly string[];
}

export interface PreviewQueue {
  queue: DeployQueue;
  mutex: KeyedMutex;
}

/**
 * Opened, reopened or new commits: the preview app `<app>-pr-<n>` (created on first use, on the app's server,
 * at `pr-<n>.<preview domain>`) gets a deploy of exactly the pull request's head commit, with the app's
 * variables plus the preview overrides. A pull request beyond the cap gets no preview.
 */
export async function deployPreview(
  ctx: Ctx,
  q: PreviewQueue,
  parent: AppRow,
  server: ServerRow,
  pr: PullRequestHead,
): Promise<{ jobId: string; app: string }> {
  return q.mutex.run(`preview:${parent.id}:${pr.number}`, async () => {
    const settings = await previewSettingsOf(ctx, parent.id);
    if (!settings) throw new InfraktError('STATE', `previews are not enabled for '${parent.name}'`);
    const name = previewAppName(parent.name, pr.number);
    if (!nameSchema.safeParse(name).success) {
      throw new InfraktError('VALIDATION', `the preview name ${name} is longer than 63 characters`);
    }
    const existing = await ctx.store.db
      .selectFrom('previews')
      .selectAll()
      .where('parent_app_id', '=', parent.id)
      .where('pr_number', '=', pr.number)
      .executeTakeFirst();
    if (!existing) {
      const { n } = await ctx.store.db
        .selectFrom('previews')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('parent_app_id', '=', parent.id)
        .executeTakeFirstOrThrow();
      if (Number(n) >= settings.max_previews) {
        throw new InfraktError('STATE', `'${parent.name}' already has ${n} previews (the most it may have)`, {
          hint: `raise the cap: infrakt app previews ${parent.name} --max <n>`,
        });
      }
    }
    const app = existing?.app_id
      ? (await resolveApp(ctx, name, server.name)).app
      : await createPreviewApp(ctx, parent, server, name, `pr-${pr.number}.${settings.domain}`, pr.ref);
    const now = nowIso(ctx);
    if (existing) {
      await ctx.store.db
        .updateTable('previews')
        .set({ app_id: app.id, head_sha: pr.sha, head_ref: pr.ref, status: 'deploying', error: null, updated_at: now })
        .where('id', '=', existing.id)
        .execute();
    } else {
      await ctx.store.db
        .insertInto('previews')
        .values({
          parent_app_id: parent.id,
          pr_number: pr.number,
          app_id: app.id,
          head_sha: pr.sha,
          head_ref: pr.ref,
          status: 'deploying',
          job_id: null,
          error: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    const plan = releaseJobPlan(ctx, app, server, {
      kind: 'preview.deploy',
      params: { app: app.name, preview: parent.name, pr: pr.number, commit: pr.sha, trigger: 'webhook' },
      req: { action: 'deploy', commit: { sha: pr.sha, refs: pr.refs } },
      wait: true,
    });
    const { jobId } = await q.queue.enqueue(ctx, app.id, {
      spec: plan.spec,
      body: async (job) => {
        // Inside the job (under the app's lock): the parent's variables as they are when the preview deploys.
        const n = await syncPreviewEnv(ctx, parent, app.id);
        job.log(`preview variables: ${n.inherited} from ${parent.name}, ${n.overrides} preview overrides`);
        return plan.body(job);
      },
    });
    await ctx.store.db
      .updateTable('previews')
      .set({ job_id: jobId })
      .where('parent_app_id', '=', parent.id)
      .where('pr_number', '=', pr.number)
      .execute();
    return { jobId, app: app.name };
  });
}

async function createPreviewApp(
  ctx: Ctx,
  parent: AppRow,
  server: ServerRow,
  name: string,
  domain: string,
  ref: string,
): Promise<AppRow> {
  const health = appSettings(parent).health;
  await createApp(ctx, {
    server: server.name,
    name,
    domain,
    port: parent.port,
    git: parent.git_repo ?? undefined,
    // The head's branch name when it is a plain one (shown in `app list`); the commit is what deploys.
    branch: branchSchema.safeParse(ref).success ? ref : (parent.branch ?? 'main'),
    health,
  });
  const { app } = await resolveApp(ctx, name, server.name);
  // Runs like its parent: same git access (a private repository), limits, restart, volumes, release command.
  const p = appSettings(parent);
  const git = inheritedGitAccess(ctx, parent, app.id);
  await patchAppSettings(ctx, app.id, (s) => ({
    ...s,
    ...(p.memory !== undefined ? { memory: p.memory } : {}),
    ...(p.cpus !== undefined ? { cpus: p.cpus } : {}),
    ...(p.restart !== undefined ? { restart: p.restart } : {}),
    ...(p.volumes !== undefined ? { volumes: p.volumes } : {}),
    ...(p.releaseCommand !== undefined ? { releaseCommand: p.releaseCommand } : {}),
    ...(p.init !== undefined ? { init: p.init } : {}),
    ...(p.stopTimeoutSec !== undefined ? { stopTimeoutSec: p.stopTimeoutSec } : {}),
    ...(p.drainTimeoutSec !== undefined ? { drainTimeoutSec: p.drainTimeoutSec } : {}),
    ...(git ? { git } : {}),
  }));
  return (await resolveApp(ctx, name, server.name)).app;
}

/** The preview's variables: the parent's, then the preview overrides on top (replacing what was there). */
export async function syncPreviewEnv(
  ctx: Ctx,
  parent: AppRow,
  previewAppId: number,
): Promise<{ inherited: number; overrides: number }> {
  const merged = new Map<string, string>();
  const inherited = await decryptedEnv(ctx, parent);
  for (const [k, v] of inherited) merged.set(k, (v as Secret).reveal());
  const overrides = await ctx.store.db.selectFrom('preview_env').selectAll().where('app_id', '=', parent.id).execute();
  for (const o of overrides) merged.set(o.key, ctx.cipher.unseal(previewEnvPurpose(parent.id, o.key), o.value_enc));
  const now = nowIso(ctx);
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('env_vars').where('app_id', '=', previewAppId).execute();
    for (const [key, value] of merged) {
      await trx
        .insertInto('env_vars')
        .values({
          app_id: previewAppId,
          key,
          value_enc: ctx.cipher.encrypt(previewAppId, key, value),
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
  });
  return { inherited: inherited.size, overrides: overrides.length };
}

/**
 * Closed or merged: the preview app is destroyed (containers, volumes, images, route, directory, record) by
 * the same job as `app destroy`, and the preview is forgotten. A deploy of it still waiting is dropped.
 */
export async function closePreview(
  ctx: Ctx,
  q: PreviewQueue,
  parent: AppRow,
  server: ServerRow,
  number: number,
): Promise<{ jobId: string; app: string } | null> {
  return q.mutex.run(`preview:${parent.id}:${number}`, async () => {
    const row = await ctx.store.db
      .selectFrom('previews')
      .selectAll()
      .where('parent_app_id', '=', parent.id)
      .where('pr_number', '=', number)
      .executeTakeFirst();
    if (!row) return null;
    if (row.app_id === null) {
      await ctx.store.db.deleteFrom('previews').where('id', '=', row.id).execute();
      return null;
    }
    const name = previewAppName(parent.name, number);
    const plan = await prepareDestroy(ctx, name, { server: server.name, volumes: true });
    const { jobId } = await q.queue.enqueue(ctx, row.app_id, {
      spec: { ...plan.spec, kind: 'preview.destroy', waitForLocksMs: APP_LOCK_WAIT_MS },
      body: async (job) => {
        const r = await plan.body(job);
        await ctx.store.db.deleteFrom('previews').where('id', '=', row.id).execute();
        return r;
      },
    });
    await ctx.store.db
      .updateTable('previews')
      .set({ status: 'closing', job_id: jobId, updated_at: nowIso(ctx) })
      .where('id', '=', row.id)
      .execute();
    return { jobId, app: name };
  });
}
