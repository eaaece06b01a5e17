import { z } from 'zod';
import { CHANNEL_TYPES, NOTIFY_EVENTS } from '../notifications.js';

export const channelViewSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    type: z.enum(CHANNEL_TYPES),
    /** Where it goes, without secrets: the URL's origin, or `smtp host:port → recipients`. */
    target: z.string(),
    events: z.array(z.enum(NOTIFY_EVENTS)),
    createdAt: z.string(),
    lastDelivery: z
      .object({ status: z.string(), at: z.string(), error: z.string().nullable() })
      .nullable()
      .describe('The newest delivery to this channel'),
  })
  .meta({ id: 'NotifyChannel' });
export type ChannelView = z.infer<typeof channelViewSchema>;

export const channelCreatedSchema = channelViewSchema
  .extend({
    secret: z
      .string()
      .nullable()
      .describe('Webhook channels: the signing secret, shown once when infrakt generated it; null otherwise'),
  })
  .meta({ id: 'NotifyChannelCreated' });
export type ChannelCreated = z.infer<typeof channelCreatedSchema>;

export const notifyDeliveryViewSchema = z
  .object({
    id: z.number().int(),
    channel: z.string(),
    event: z.string(),
    subject: z.string(),
    text: z.string(),
    status: z.enum(['pending', 'sending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastError: z.string().nullable(),
    responseCode: z.number().int().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
  })
  .meta({ id: 'NotifyDelivery' });
export type NotifyDeliveryView = z.infer<typeof notifyDeliveryViewSchema>;

export const notifyTestResultSchema = z
  .object({
    channel: z.string(),
    ok: z.boolean(),
    responseCode: z.number().int().nullable(),
    error: z.string().nullable(),
    ms: z.number().int(),
  })
  .meta({ id: 'NotifyTestResult' });
export type NotifyTestResult = z.infer<typeof notifyTestResultSchema>;
