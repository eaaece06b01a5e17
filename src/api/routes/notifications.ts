import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { nameSchema } from '../../core/schemas/common.js';
import { channelAddSchema } from '../../core/schemas/notifications.js';
import {
  channelCreatedSchema,
  channelViewSchema,
  notifyDeliveryViewSchema,
  notifyTestResultSchema,
} from '../../core/schemas/views/notifications.js';
import { addChannel, listChannels, removeChannel } from '../../services/notifications/channels.js';
import { listNotifyDeliveries, testChannel } from '../../services/notifications/deliveries.js';
import { type Api, ERRORS, json, type RouteDeps, security } from '../route-kit.js';
import { nameParam } from '../schemas.js';

const tags = ['notifications'];
const channelAddBody = channelAddSchema.meta({ id: 'NotifyChannelAdd' });

/** Notification channels and their delivery log (services/notifications). Secrets go in, never come out. */
export function notificationRoutes(api: Api, _deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/notify/channels',
      tags,
      summary: 'Notification channels with their events and last delivery (no secrets)',
      security,
      responses: { 200: json(z.array(channelViewSchema), 'Channels'), ...ERRORS },
    }),
    async (c) => c.json(await listChannels(c.var.ctx), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/notify/channels',
      tags,
      summary: 'Add a channel (URLs, signing secret and SMTP password are stored encrypted)',
      security,
      request: { body: { content: { 'application/json': { schema: channelAddBody } }, required: true } },
      responses: { 201: json(channelCreatedSchema, 'Added; a generated signing secret is shown once'), ...ERRORS },
    }),
    async (c) => c.json(await addChannel(c.var.ctx, c.req.valid('json')), 201),
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/notify/channels/{name}',
      tags,
      summary: 'Remove a channel and its queued deliveries',
      security,
      request: { params: nameParam },
      responses: {
        200: json(z.object({ name: z.string(), removed: z.literal(true) }), 'Removed'),
        ...ERRORS,
      },
    }),
    async (c) => c.json(await removeChannel(c.var.ctx, c.req.valid('param').name), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/notify/channels/{name}/test',
      tags,
      summary: 'Send a test message now (one attempt) and report the answer',
      security,
      request: { params: nameParam },
      responses: { 200: json(notifyTestResultSchema, 'What the channel answered'), ...ERRORS },
    }),
    async (c) => c.json(await testChannel(c.var.ctx, c.req.valid('param').name), 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/notify/deliveries',
      tags,
      summary: 'The delivery log, newest first',
      security,
      request: {
        query: z.object({
          channel: nameSchema.optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
      },
      responses: { 200: json(z.array(notifyDeliveryViewSchema), 'Deliveries'), ...ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await listNotifyDeliveries(c.var.ctx, { channel: q.channel, limit: q.limit }), 200);
    },
  );
}
