import { createHash } from 'node:crypto';
import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import { branchSchema } from '../../core/schemas/common.js';
import type { WebhookAnswer } from '../../core/schemas/views/webhooks.js';
import { resolveApp } from '../apps/apps.js';
import { prepareDeploy } from '../apps/deploy/deploy-app.js';
import { actingAs, webhookPrincipal } from '../governance/acting-as.js';
import { closePreview, deployPreview } from '../previews/preview-deploy.js';
import { previewSettingsOf } from '../previews/settings.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { type DeliveryRecord, logDelivery, seenBefore } from './deliveries.js';
import { DeployQueue, KeyedMutex } from './deploy-queue.js';
import { HOOK_ID_RE, webhookSecret } from './hooks.js';
import { type HookEvent, parseEvent, prHeadRef } from './payloads.js';
import { DEFAULT_WEBHOOK_LIMITS, SlidingWindow, type WebhookLimits } from './rate-limit.js';
import { deliveryIdOf, detectProvider, eventName, type HeaderGet, verifySignature } from './signatures.js';

export interface Receiver {
  queue: DeployQueue;
  mutex: KeyedMutex;
  /** Signed deliveries accepted per hook in a window. */
  perHook: SlidingWindow;
}

export interface Delivery {
  hookId: string;
  header: HeaderGet;
  body: Buffer;
  remoteAddr: string;
}

export interface Answer {
  status: 200 | 202 | 400 | 401 | 403 | 404 | 422 | 429;
  body: WebhookAnswer;
}

const MAX_BODY = 1024 * 1024;

/**
 * One delivery to `POST /api/webhooks/<hook id>`: nothing is read from the body before its signature is
 * checked against the app's secret; then redeliveries are recognised, the rate is limited, and a push to
 * the watched branch queues a deploy of exactly the pushed commit (pull request events drive previews).
 * Everything but an unknown hook is kept in the app's delivery log.
 */
export async function receiveDelivery(ctx: Ctx, r: Receiver, d: Delivery): Promise<Answer> {
  if (!HOOK_ID_RE.test(d.hookId)) return { status: 404, body: { outcome: 'rejected', reason: 'no such webhook' } };
  const hook = await ctx.store.db.selectFrom('webhooks').selectAll().where('hook_id', '=', d.hookId).executeTakeFirst();
  if (!hook) return { status: 404, body: { outcome: 'rejected', reason: 'no such webhook' } };
  const row = await ctx.store.db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .select(['apps.name as app', 'servers.name as server'])
    .where('apps.id', '=', hook.app_id)
    .executeTakeFirstOrThrow();
  const provider = detectProvider(d.header);
  // Nobody signed in: the delivery acts as its own principal, limited to its app (see webhookPrincipal).
  const hctx = actingAs(
    ctx,
    webhookPrincipal(row.server, [row.app], provider ?? 'unknown'),
    `webhook (${provider ?? 'unknown'})`,
  );
  const { app, server } = await resolveApp(hctx, row.app, row.server);
  const bodySha = createHash('sha256').update(d.body).digest('hex');
  const base: DeliveryRecord = {
    app_id: app.id,
    provider: provider ?? 'unknown',
    delivery_id: provider ? deliveryIdOf(provider, d.header) : null,
    body_sha256: null,
    event: provider ? eventName(provider, d.header).slice(0, 64) : null,
    ref: null,
    commit_sha: null,
    pr_number: null,
    outcome: 'rejected',
    reason: null,
    job_id: null,
    remote_addr: d.remoteAddr.slice(0, 64),
    received_at: nowIso(ctx),
  };
  const answer = async (status: Answer['status'], rec: Partial<DeliveryRecord>): Promise<Answer> => {
    const full = { ...base, ...rec };
    const id = await logDelivery(ctx, full);
    return {
      status,
      body: {
        outcome: full.outcome as WebhookAnswer['outcome'],
        ...(full.reason ? { reason: full.reason } : {}),
        delivery: id,
        ...(full.job_id ? { jobId: full.job_id } : {}),
      },
    };
  };

  if (!provider) {
    return answer(400, { reason: 'not a GitHub, GitLab, Gitea or Forgejo delivery (no event header)' });
  }
  if (d.body.length > MAX_BODY) return answer(400, { reason: 'body larger than 1 MiB' });
  const verdict = verifySignature(provider, d.header, d.body, webhookSecret(ctx, hook));
  if (verdict === 'missing') return answer(401, { reason: `unsigned ${provider} delivery` });
  if (verdict === 'bad') return answer(403, { reason: 'signature does not match the secret' });

  // Signed from here on.
  base.body_sha256 = bodySha;
  const dup = await seenBefore(ctx, app.id, base.delivery_id, bodySha);
  if (dup !== null) return answer(200, { outcome: 'duplicate', reason: `already handled as delivery ${dup}` });
  if (!r.perHook.take(hook.hook_id)) {
    return answer(429, { outcome: 'rate_limited', reason: 'too many deliveries for this webhook; retry later' });
  }
  let json: unknown;
  try {
    json = JSON.parse(d.body.toString('utf8'));
  } catch {
    return answer(400, { reason: 'body is not JSON (set the content type to application/json)' });
  }
  const ev = parseEvent(provider, base.event ?? '', json);
  if (!ev) return answer(400, { reason: `malformed ${base.event} payload` });
  const branch = hook.branch ?? app.branch ?? 'main';
  try {
    return await act(ctx, r, { app, server, branch, provider, ev, answer });
  } catch (e) {
    const err = toInfraktError(e);
    return answer(422, { outcome: 'failed', reason: err.message.slice(0, 500) });
  }
}

async function act(
  ctx: Ctx,
  r: Receiver,
  o: {
    app: AppRow;
    server: ServerRow;
    branch: string;
    provider: NonNullable<ReturnType<typeof detectProvider>>;
    ev: HookEvent;
    answer: (status: Answer['status'], rec: Partial<DeliveryRecord>) => Promise<Answer>;
  },
): Promise<Answer> {
  const { app, server, ev, answer } = o;
  // Jobs started by a delivery say so (deployments' "by", the audit log).
  const apps = ev.kind === 'pr' ? null : [app.name];
  const actx = actingAs(ctx, webhookPrincipal(server.name, apps, o.provider), `webhook (${o.provider})`);
  if (ev.kind === 'ping') return answer(200, { outcome: 'ignored', reason: 'ping: the webhook works' });
  if (ev.kind === 'other') return answer(200, { outcome: 'ignored', reason: `event ${ev.name} is not acted on` });
  if (ev.kind === 'push') {
    const rec = { ref: ev.branch, commit_sha: ev.commit };
    if (ev.branch === null) return answer(200, { ...rec, outcome: 'ignored', reason: 'tag push' });
    if (ev.branch !== o.branch) {
      return answer(200, { ...rec, outcome: 'ignored', reason: `push to ${ev.branch}; this app deploys ${o.branch}` });
    }
    if (ev.commit === null) return answer(200, { ...rec, outcome: 'ignored', reason: 'the branch was deleted' });
    const plan = await prepareDeploy(actx, app.name, {
      server: server.name,
      commit: ev.commit,
      refs: [ev.branch],
      wait: true,
      trigger: 'webhook',
    });
    const q = await r.queue.enqueue(actx, app.id, plan);
    if (q.superseded) await markSuperseded(ctx, q.superseded, ev.commit);
    return answer(202, { ...rec, outcome: 'queued', job_id: q.jobId, reason: `deploy of ${ev.commit.slice(0, 12)}` });
  }
  const rec = { ref: ev.headRef, commit_sha: ev.headSha, pr_number: ev.number };
  if (!(await previewSettingsOf(ctx, app.id))) {
    return answer(200, { ...rec, outcome: 'ignored', reason: 'previews are not enabled for this app' });
  }
  if (ev.baseBranch !== o.branch) {
    return answer(200, { ...rec, outcome: 'ignored', reason: `pull request into ${ev.baseBranch}, not ${o.branch}` });
  }
  if (ev.action === 'other') return answer(200, { ...rec, outcome: 'ignored', reason: 'no new commits' });
  const pq = { queue: r.queue, mutex: r.mutex };
  if (ev.action === 'close') {
    const c = await closePreview(actx, pq, app, server, ev.number);
    if (!c) return answer(200, { ...rec, outcome: 'ignored', reason: `no preview of #${ev.number}` });
    return answer(202, { ...rec, outcome: 'queued', job_id: c.jobId, reason: `destroy ${c.app}` });
  }
  try {
    const p = await deployPreview(actx, pq, app, server, {
      number: ev.number,
      sha: ev.headSha,
      ref: ev.headRef,
      // The head branch may be a fork's: the base repository's pull request ref comes first.
      refs: [prHeadRef(o.provider, ev.number), ...(branchSchema.safeParse(ev.headRef).success ? [ev.headRef] : [])],
    });
    return answer(202, { ...rec, outcome: 'queued', job_id: p.jobId, reason: `preview ${p.app}` });
  } catch (e) {
    if (e instanceof InfraktError && e.code === 'STATE') {
      return answer(200, { ...rec, outcome: 'ignored', reason: e.message });
    }
    throw e;
  }
}

async function markSuperseded(ctx: Ctx, jobId: string, commit: string): Promise<void> {
  await ctx.store.db
    .updateTable('webhook_deliveries')
    .set({ reason: `superseded by a push of ${commit.slice(0, 12)} before it started` })
    .where('job_id', '=', jobId)
    .execute();
}

/** The receiving side of push-to-deploy in one process: its deploy queue, per-PR mutex and per-hook limit. */
export function createReceiver(limits: WebhookLimits = DEFAULT_WEBHOOK_LIMITS, queue = new DeployQueue()): Receiver {
  return { queue, mutex: new KeyedMutex(), perHook: new SlidingWindow(limits.perHook, limits.windowMs) };
}
