import { randomBytes } from 'node:crypto';
import type { NotifyChannelRow } from '../../adapters/store/schema-push-deploy.js';
import { InfraktError, notFound } from '../../core/errors.js';
import { nameSchema } from '../../core/schemas/common.js';
import {
  type ChannelAddInput,
  type ChannelType,
  channelAddSchema,
  DEFAULT_NOTIFY_EVENTS,
  type NotifyEventType,
} from '../../core/schemas/notifications.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { ChannelCreated, ChannelView } from '../../core/schemas/views/notifications.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

/** What a channel keeps in clear (shown in views). */
export interface ChannelConfig {
  /** webhook / slack / discord: scheme://host[:port] of the URL (its path may be the secret). */
  origin?: string;
  smtp?: {
    host: string;
    port: number;
    security: 'starttls' | 'tls' | 'none';
    user?: string;
    from: string;
    to: string[];
    ca?: string;
  };
}

/** What a channel keeps sealed under the master key. */
export interface ChannelSecrets {
  url?: string;
  /** webhook: HMAC key of X-Infrakt-Signature. */
  signingSecret?: string;
  smtpPassword?: string;
}

const purpose = (name: string) => `notify-channel:${name}`;

export function channelConfig(row: Pick<NotifyChannelRow, 'config_json'>): ChannelConfig {
  return JSON.parse(row.config_json) as ChannelConfig;
}

export function channelSecrets(
  ctx: Pick<Ctx, 'cipher'>,
  row: Pick<NotifyChannelRow, 'name' | 'secret_enc'>,
): ChannelSecrets {
  return JSON.parse(ctx.cipher.unseal(purpose(row.name), row.secret_enc)) as ChannelSecrets;
}

/** `notify add`: validates everything first; a webhook channel without `--secret` gets a generated one. */
export async function addChannel(ctx: Ctx, input: ChannelAddInput): Promise<ChannelCreated> {
  const c = parseInput(channelAddSchema, input, 'channel');
  const taken = await ctx.store.db
    .selectFrom('notify_channels')
    .select('id')
    .where('name', '=', c.name)
    .executeTakeFirst();
  if (taken) {
    throw new InfraktError('CONFLICT', `a notification channel named '${c.name}' already exists`, {
      hint: `remove it first (infrakt notify remove ${c.name}) or choose another name`,
    });
  }
  const generated = c.type === 'webhook' && !c.secret ? randomBytes(32).toString('base64url') : null;
  const config: ChannelConfig = {};
  const secrets: ChannelSecrets = {};
  if (c.url) {
    config.origin = new URL(c.url).origin;
    secrets.url = c.url;
  }
  if (c.type === 'webhook') secrets.signingSecret = c.secret ?? generated!;
  if (c.smtp) {
    const { password, ...smtp } = c.smtp;
    config.smtp = smtp;
    if (password) secrets.smtpPassword = password;
  }
  const events = c.events ? [...new Set(c.events)] : [...DEFAULT_NOTIFY_EVENTS];
  const now = nowIso(ctx);
  const row = await ctx.store.db
    .insertInto('notify_channels')
    .values({
      name: c.name,
      type: c.type,
      config_json: JSON.stringify(config),
      secret_enc: ctx.cipher.seal(purpose(c.name), JSON.stringify(secrets)),
      events_json: JSON.stringify(events),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(ctx, 'notify.add', c.name, { type: c.type, events });
  return { ...toChannelView(row, null), secret: generated };
}

export async function getChannelRow(ctx: Ctx, name: string): Promise<NotifyChannelRow> {
  parseInput(nameSchema, name, 'channel name');
  const row = await ctx.store.db.selectFrom('notify_channels').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound('notification channel', name, 'list channels with: infrakt notify list');
  return row;
}

export async function listChannels(ctx: Ctx): Promise<ChannelView[]> {
  const rows = await ctx.store.db.selectFrom('notify_channels').selectAll().orderBy('name').execute();
  const out: ChannelView[] = [];
  for (const r of rows) {
    const last = await ctx.store.db
      .selectFrom('notify_deliveries')
      .select(['status', 'created_at', 'delivered_at', 'last_error'])
      .where('channel_id', '=', r.id)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    out.push(
      toChannelView(
        r,
        last ? { status: last.status, at: last.delivered_at ?? last.created_at, error: last.last_error } : null,
      ),
    );
  }
  return out;
}

/** `notify remove`: the channel and its queued deliveries go; past events stay in the log of other channels. */
export async function removeChannel(ctx: Ctx, name: string): Promise<{ name: string; removed: true }> {
  const row = await getChannelRow(ctx, name);
  await ctx.store.db.deleteFrom('notify_channels').where('id', '=', row.id).execute();
  await audit(ctx, 'notify.remove', name, {});
  return { name, removed: true };
}

export function channelTarget(type: ChannelType, config: ChannelConfig): string {
  if (type === 'email' && config.smtp) {
    return `smtp ${config.smtp.host}:${config.smtp.port} (${config.smtp.security}) → ${config.smtp.to.join(', ')}`;
  }
  return `${config.origin ?? '?'}/…`;
}

export function toChannelView(row: NotifyChannelRow, last: ChannelView['lastDelivery']): ChannelView {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    target: channelTarget(row.type, channelConfig(row)),
    events: JSON.parse(row.events_json) as NotifyEventType[],
    createdAt: row.created_at,
    lastDelivery: last,
  };
}
