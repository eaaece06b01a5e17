import * as git from '../../core/commands/git.js';
import { isRevision, parseImageRevision, pullAndInspect } from '../../core/commands/image-watch.js';
import { toInfraktError } from '../../core/errors.js';
import { runChecked } from '../../core/executor.js';
import { appLayout } from '../../core/plans/layout.js';
import { resolveApp } from '../apps/apps.js';
import { prepareDeploy } from '../apps/deploy/deploy-app.js';
import { assertGitSourceAllowed } from '../apps/git-access.js';
import { runGitFetch } from '../apps/git-fetch.js';
import { pullAuth } from '../registries/registries.js';
import type { Ctx } from '../shared/context.js';
import type { DeployQueue } from '../webhooks/deploy-queue.js';

/** How long one check may take on the server (an ls-remote or a pull). */
const POLL_TIMEOUT_MS = 5 * 60_000;

export interface PollReport {
  checked: number;
  started: string[];
  errors: number;
}

/**
 * One round of polling: every app whose check is due is looked at from its own server (one connection, one
 * command), and a revision that is neither deployed nor already attempted gets a deploy of exactly that
 * revision. A failed deploy is not retried for the same revision: the next change is.
 */
export async function pollDue(ctx: Ctx, queue: DeployQueue, o: { concurrency?: number } = {}): Promise<PollReport> {
  const now = ctx.clock.now();
  const due = await ctx.store.db
    .selectFrom('app_polls')
    .selectAll()
    .where('next_check_at', '<=', now.toISOString())
    .orderBy('next_check_at')
    .limit(100)
    .execute();
  const report: PollReport = { checked: 0, started: [], errors: 0 };
  const work = [...due];
  const worker = async () => {
    for (let p = work.shift(); p; p = work.shift()) {
      // Scheduled before the check: a slow server cannot make its app be picked twice.
      await ctx.store.db
        .updateTable('app_polls')
        .set({ next_check_at: new Date(now.getTime() + p.interval_s * 1000).toISOString() })
        .where('app_id', '=', p.app_id)
        .execute();
      try {
        const jobId = await checkOne(ctx, queue, p.app_id, p.last_started);
        if (jobId) report.started.push(jobId);
      } catch (e) {
        report.errors++;
        await ctx.store.db
          .updateTable('app_polls')
          .set({ last_error: toInfraktError(e).message.slice(0, 500), last_checked_at: ctx.clock.now().toISOString() })
          .where('app_id', '=', p.app_id)
          .execute();
      }
      report.checked++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
  return report;
}

async function checkOne(
  ctx: Ctx,
  queue: DeployQueue,
  appId: number,
  lastStarted: string | null,
): Promise<string | null> {
  const row = await ctx.store.db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .select(['apps.name as app', 'servers.name as server'])
    .where('apps.id', '=', appId)
    .executeTakeFirst();
  if (!row) return null;
  const { app, server } = await resolveApp(ctx, row.app, row.server);
  const deployed = app.current_release
    ? ((
        await ctx.store.db
          .selectFrom('deployments')
          .select('source_ref')
          .where('app_id', '=', app.id)
          .where('release', '=', app.current_release)
          .orderBy('id', 'desc')
          .executeTakeFirst()
      )?.source_ref ?? null)
    : null;
  const ex = await ctx.connect(server);
  let seen: string;
  let upToDate: boolean;
  try {
    if (app.app_type === 'git') {
      const branch = app.branch ?? 'main';
      // As before a fetch: the host may resolve elsewhere by now (DNS rebinding), so https and SSH are pinned to
      // the addresses just checked; private sources are asked with the app's deploy key or token like a deploy does.
      const checked = await assertGitSourceAllowed(ctx, server, app.git_repo ?? '');
      const layout = appLayout(server.root_dir, app.name);
      const out = await runGitFetch(
        {
          ctx,
          ex,
          job: { signal: AbortSignal.timeout(POLL_TIMEOUT_MS), addSecrets: () => undefined },
          app,
          server,
          layout,
          log: () => undefined,
          credentialDir: `${layout.gitCredentialDir}-poll`,
          checked,
        },
        checked?.kind === 'https'
          ? git.lsRemoteBranch(checked.url, branch, checked)
          : git.lsRemoteBranch(app.git_repo ?? '', branch),
        'git ls-remote',
      );
      const sha = git.parseLsRemote(out, branch);
      if (!sha) throw new Error(`branch ${branch} does not exist in ${app.git_repo}`);
      seen = sha;
      upToDate = deployed === sha;
    } else {
      const image = app.image ?? '';
      const auth = (await pullAuth(ctx, server))(image);
      const r = await runChecked(ex, pullAndInspect(image, auth.configDir), { what: `docker pull ${image}` });
      const rev = parseImageRevision(r.stdout);
      if (!rev) throw new Error(`cannot read the id of ${app.image} after pulling it`);
      seen = rev.id;
      upToDate = isRevision(rev, deployed);
    }
  } finally {
    await ex.close().catch(() => undefined);
  }
  const checkedAt = ctx.clock.now().toISOString();
  await ctx.store.db
    .updateTable('app_polls')
    .set({ last_seen: seen, last_checked_at: checkedAt, last_error: null })
    .where('app_id', '=', app.id)
    .execute();
  if (upToDate || seen === lastStarted) return null;
  const actx: Ctx = { ...ctx, actor: 'auto-deploy (poll)' };
  const plan = await prepareDeploy(actx, app.name, {
    server: server.name,
    wait: true,
    trigger: 'poll',
    ...(app.app_type === 'git' ? { commit: seen } : {}),
  });
  const { jobId } = await queue.enqueue(actx, app.id, plan);
  await ctx.store.db
    .updateTable('app_polls')
    .set({ last_started: seen, last_job_id: jobId })
    .where('app_id', '=', app.id)
    .execute();
  return jobId;
}
