import { randomBytes } from 'node:crypto';
import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import type { WebhookRow } from '../../adapters/store/schema-push-deploy.js';
import { InfraktError } from '../../core/errors.js';
import { branchSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import { WEBHOOK_PROVIDERS, type WebhookView } from '../../core/schemas/views/webhooks.js';
import { resolveApp } from '../apps/apps.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

/** The one API path that takes no API key: deliveries prove themselves with the app's secret instead. */
export const WEBHOOK_PATH_PREFIX = '/api/webhooks/';
export const HOOK_ID_RE = /^[A-Za-z0-9_-]{22}$/;

const secretPurpose = (appId: number) => `webhook:${appId}`;
const newSecret = () => randomBytes(32).toString('hex');
const newHookId = () => randomBytes(16).toString('base64url');

export function webhookSecret(ctx: Pick<Ctx, 'cipher'>, hook: WebhookRow): string {
  return ctx.cipher.unseal(secretPurpose(hook.app_id), hook.secret_enc);
}

async function hookOf(ctx: Ctx, app: AppRow): Promise<WebhookRow | undefined> {
  return ctx.store.db.selectFrom('webhooks').selectAll().where('app_id', '=', app.id).executeTakeFirst();
}

async function requireHook(ctx: Ctx, app: AppRow): Promise<WebhookRow> {
  const hook = await hookOf(ctx, app);
  if (!hook) {
    throw new InfraktError('NOT_FOUND', `app '${app.name}' has no webhook`, {
      hint: `enable one with: infrakt app webhook enable ${app.name}`,
    });
  }
  return hook;
}

async function toView(
  ctx: Ctx,
  app: AppRow,
  server: ServerRow,
  hook: WebhookRow,
  secret: string | null,
): Promise<WebhookView> {
  const previews = await ctx.store.db
    .selectFrom('preview_settings')
    .select('app_id')
    .where('app_id', '=', app.id)
    .executeTakeFirst();
  return {
    app: app.name,
    server: server.name,
    path: `${WEBHOOK_PATH_PREFIX}${hook.hook_id}`,
    branch: hook.branch ?? app.branch ?? 'main',
    secret,
    providers: [...WEBHOOK_PROVIDERS],
    previews: Boolean(previews),
    createdAt: hook.created_at,
    rotatedAt: hook.rotated_at,
  };
}

/** `app webhook enable`: a delivery URL and a secret for a git app (shown once here, and by `show --reveal`). */
export async function enableWebhook(
  ctx: Ctx,
  name: string,
  opts: { server?: string; branch?: string } = {},
): Promise<WebhookView> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  if (app.app_type !== 'git') {
    throw new InfraktError(
      'VALIDATION',
      `webhooks deploy pushed commits of git apps; '${app.name}' is a ${app.app_type} app`,
      {
        hint:
          app.app_type === 'image'
            ? `watch the image tag instead: infrakt app update ${app.name} --auto-deploy poll`
            : undefined,
      },
    );
  }
  const branch = opts.branch === undefined ? null : parseInput(branchSchema, opts.branch, 'branch');
  if (await hookOf(ctx, app)) {
    throw new InfraktError('CONFLICT', `app '${app.name}' already has a webhook`, {
      hint: `see it with: infrakt app webhook show ${app.name} (or rotate its secret: app webhook rotate)`,
    });
  }
  const secret = newSecret();
  const hook: WebhookRow = {
    app_id: app.id,
    hook_id: newHookId(),
    secret_enc: ctx.cipher.seal(secretPurpose(app.id), secret),
    branch,
    created_at: nowIso(ctx),
    rotated_at: null,
  };
  await ctx.store.db.insertInto('webhooks').values(hook).execute();
  await audit(ctx, 'webhook.enable', `${server.name}/${app.name}`, { branch: branch ?? app.branch });
  return toView(ctx, app, server, hook, secret);
}

/** `app webhook show`: URL path, branch, providers; the secret only when asked to reveal it (audited). */
export async function showWebhook(
  ctx: Ctx,
  name: string,
  opts: { server?: string; reveal?: boolean } = {},
): Promise<WebhookView> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  const hook = await requireHook(ctx, app);
  if (opts.reveal) await audit(ctx, 'webhook.reveal', `${server.name}/${app.name}`, {});
  return toView(ctx, app, server, hook, opts.reveal ? webhookSecret(ctx, hook) : null);
}

/** `app webhook rotate`: a new secret (the URL stays); deliveries signed with the old one are refused at once. */
export async function rotateWebhook(ctx: Ctx, name: string, opts: { server?: string } = {}): Promise<WebhookView> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  const hook = await requireHook(ctx, app);
  const secret = newSecret();
  const now = nowIso(ctx);
  const secret_enc = ctx.cipher.seal(secretPurpose(app.id), secret);
  await ctx.store.db
    .updateTable('webhooks')
    .set({ secret_enc, rotated_at: now })
    .where('app_id', '=', app.id)
    .execute();
  await audit(ctx, 'webhook.rotate', `${server.name}/${app.name}`, {});
  return toView(ctx, app, server, { ...hook, secret_enc, rotated_at: now }, secret);
}

/** `app webhook disable`: the URL stops working at once; the delivery log is kept. */
export async function disableWebhook(
  ctx: Ctx,
  name: string,
  opts: { server?: string } = {},
): Promise<{ app: string; disabled: true }> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  await requireHook(ctx, app);
  await ctx.store.db.deleteFrom('webhooks').where('app_id', '=', app.id).execute();
  await audit(ctx, 'webhook.disable', `${server.name}/${app.name}`, {});
  return { app: app.name, disabled: true };
}
