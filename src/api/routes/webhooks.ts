import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { branchSchema, nameSchema } from '../../core/schemas/common.js';
import {
  webhookAnswerSchema,
  webhookDeliveryViewSchema,
  webhookViewSchema,
} from '../../core/schemas/views/webhooks.js';
import { listWebhookDeliveries } from '../../services/webhooks/deliveries.js';
import {
  disableWebhook,
  enableWebhook,
  HOOK_ID_RE,
  rotateWebhook,
  showWebhook,
  WEBHOOK_PATH_PREFIX,
} from '../../services/webhooks/hooks.js';
import { type Receiver, receiveDelivery } from '../../services/webhooks/receive.js';
import { FailureLimiter, type RateLimit } from '../auth.js';
import { type Api, ERRORS, json, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';

const tags = ['webhooks'];

/**
 * The one exemption from the API key: `POST /api/webhooks/<hook id>`, where each delivery must carry a valid
 * signature (or GitLab token) of its app's secret instead. app.ts lets exactly these requests through.
 */
export function isWebhookDelivery(method: string, path: string): boolean {
  return (
    method === 'POST' && path.startsWith(WEBHOOK_PATH_PREFIX) && HOOK_ID_RE.test(path.slice(WEBHOOK_PATH_PREFIX.length))
  );
}

const answer = (description: string) => json(webhookAnswerSchema, description);

/** Webhooks: the public delivery endpoint and the key-protected settings and log (services/webhooks). */
export function webhookRoutes(api: Api, deps: RouteDeps, receiver: Receiver, failures: RateLimit): void {
  // Unsigned or wrongly signed deliveries count against their address, apart from API key failures.
  const limiter = new FailureLimiter(failures);
  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/webhooks/{hookId}',
      tags,
      summary: 'Receive a GitHub, GitLab, Gitea or Forgejo delivery (signed with the app secret; no API key)',
      description:
        'GitHub: X-Hub-Signature-256; GitLab: X-Gitlab-Token; Gitea/Forgejo: X-Gitea-Signature/X-Forgejo-Signature. ' +
        'A push to the watched branch queues a deploy of the pushed commit (202); pull request events open, ' +
        'update and close previews. Redeliveries answer 200 duplicate; too many deliveries 429.',
      security: [],
      request: { params: z.object({ hookId: z.string().regex(HOOK_ID_RE, 'not a webhook id') }) },
      responses: {
        200: answer('Handled without a deploy (ignored, duplicate, ping)'),
        202: answer('Accepted: a deploy (or preview job) is queued'),
        400: answer('Not a forge delivery, or a malformed one'),
        401: answer('Unsigned'),
        403: answer('Wrong signature'),
        404: answer('No such webhook'),
        422: answer('Signed, but the deploy could not be queued (see reason)'),
        429: answer('Too many deliveries (per webhook), or too many failures from this address'),
      },
    }),
    async (c) => {
      const addr = c.var.clientAddress;
      const wait = limiter.blockedFor(addr);
      if (wait > 0) {
        c.header('Retry-After', String(Math.ceil(wait / 1000)));
        return c.json(
          { outcome: 'rate_limited' as const, reason: 'too many failed deliveries from this address' },
          429,
        );
      }
      const body = Buffer.from(await c.req.arrayBuffer());
      const r = await receiveDelivery(c.var.ctx, receiver, {
        hookId: c.req.param('hookId') ?? '',
        header: (n) => c.req.header(n),
        body,
        remoteAddr: addr,
      });
      if (r.status === 400 || r.status === 401 || r.status === 403 || r.status === 404) limiter.fail(addr);
      if (r.status === 429) c.header('Retry-After', '60');
      deps.log(`webhook ${r.status} ${r.body.outcome}${r.body.reason ? `: ${r.body.reason}` : ''}`);
      return c.json(r.body, r.status);
    },
  );

  const enableBody = z
    .object({ server: nameSchema.optional(), branch: branchSchema.optional() })
    .meta({ id: 'WebhookEnable' });
  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/webhook',
      tags,
      summary: 'Enable the webhook of a git app: its URL path and secret (the secret is shown in this answer)',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: enableBody } }, required: false },
      },
      responses: { 201: json(webhookViewSchema, 'Enabled'), ...ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      return c.json(await enableWebhook(c.var.ctx, c.req.valid('param').name, b), 201);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/webhook',
      tags,
      summary: 'The webhook of an app (secret not included)',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(webhookViewSchema, 'Webhook'), ...ERRORS },
    }),
    async (c) =>
      c.json(await showWebhook(c.var.ctx, c.req.valid('param').name, { server: c.req.valid('query').server }), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/webhook/reveal',
      tags,
      summary: 'The webhook with its secret (explicit; recorded in the audit log)',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(webhookViewSchema, 'Webhook with its secret'), ...ERRORS },
    }),
    async (c) =>
      c.json(
        await showWebhook(c.var.ctx, c.req.valid('param').name, { server: c.req.valid('query').server, reveal: true }),
        200,
      ),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/webhook/rotate',
      tags,
      summary: 'A new secret for the webhook (same URL); the old one stops working at once',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(webhookViewSchema, 'Rotated; the new secret is in this answer'), ...ERRORS },
    }),
    async (c) =>
      c.json(await rotateWebhook(c.var.ctx, c.req.valid('param').name, { server: c.req.valid('query').server }), 200),
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/apps/{name}/webhook',
      tags,
      summary: 'Disable the webhook (its URL stops working; the delivery log is kept)',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: {
        200: json(z.object({ app: z.string(), disabled: z.literal(true) }), 'Disabled'),
        ...ERRORS,
      },
    }),
    async (c) =>
      c.json(await disableWebhook(c.var.ctx, c.req.valid('param').name, { server: c.req.valid('query').server }), 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/webhook/deliveries',
      tags,
      summary: 'The delivery log of an app, newest first, with the status of the jobs deliveries started',
      security,
      request: {
        params: nameParam,
        query: serverQuery.extend({ limit: z.coerce.number().int().min(1).max(200).optional() }),
      },
      responses: { 200: json(z.array(webhookDeliveryViewSchema), 'Deliveries'), ...ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(
        await listWebhookDeliveries(c.var.ctx, c.req.valid('param').name, { server: q.server, limit: q.limit }),
        200,
      );
    },
  );
}
