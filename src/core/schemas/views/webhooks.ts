import { z } from 'zod';

export const WEBHOOK_PROVIDERS = ['github', 'gitlab', 'gitea', 'forgejo'] as const;

export const webhookViewSchema = z
  .object({
    app: z.string(),
    server: z.string(),
    /** Path of the delivery URL on `infrakt serve`: prefix it with the address the git host reaches. */
    path: z.string(),
    /** Pushes to this branch deploy (the app's branch unless set). */
    branch: z.string(),
    secret: z
      .string()
      .nullable()
      .describe('The shared secret: shown by enable and rotate, and by show with reveal; null otherwise'),
    providers: z.array(z.enum(WEBHOOK_PROVIDERS)),
    previews: z.boolean().describe('Pull/merge request events deploy previews'),
    createdAt: z.string(),
    rotatedAt: z.string().nullable(),
  })
  .meta({ id: 'Webhook' });
export type WebhookView = z.infer<typeof webhookViewSchema>;

export const WEBHOOK_OUTCOMES = ['queued', 'ignored', 'rejected', 'duplicate', 'rate_limited', 'failed'] as const;

export const webhookDeliveryViewSchema = z
  .object({
    id: z.number().int(),
    provider: z.string(),
    deliveryId: z.string().nullable(),
    event: z.string().nullable(),
    ref: z.string().nullable(),
    commit: z.string().nullable(),
    pr: z.number().int().nullable(),
    outcome: z.enum(WEBHOOK_OUTCOMES),
    reason: z.string().nullable(),
    jobId: z.string().nullable(),
    jobStatus: z.string().nullable().describe('Status of the deploy (or preview) job the delivery started'),
    remoteAddr: z.string().nullable(),
    receivedAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDeliveryView = z.infer<typeof webhookDeliveryViewSchema>;

/** What the webhook endpoint answers a git host (shown in its delivery log). */
export const webhookAnswerSchema = z
  .object({
    outcome: z.enum(WEBHOOK_OUTCOMES),
    reason: z.string().optional(),
    delivery: z.number().int().optional().describe('Id in the app delivery log'),
    jobId: z.string().optional(),
  })
  .meta({ id: 'WebhookAnswer' });
export type WebhookAnswer = z.infer<typeof webhookAnswerSchema>;
