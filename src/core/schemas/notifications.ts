import { z } from 'zod';
import { nameSchema } from './common.js';

/** Every event a notification channel can receive (`notify add --events`). */
export const NOTIFY_EVENTS = [
  'deploy.succeeded',
  'deploy.failed',
  'rollback',
  'health.down',
  'health.up',
  'server.unreachable',
  'server.reachable',
  'server.disk',
  'server.memory',
  'backup.failed',
  'backup.succeeded',
  'approval.requested',
] as const;
export type NotifyEventType = (typeof NOTIFY_EVENTS)[number];

/** What a channel gets when `--events` is not given: everything but the routine backup successes. */
export const DEFAULT_NOTIFY_EVENTS: readonly NotifyEventType[] = NOTIFY_EVENTS.filter((e) => e !== 'backup.succeeded');

export const CHANNEL_TYPES = ['webhook', 'slack', 'discord', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const SMTP_SECURITY = ['starttls', 'tls', 'none'] as const;

/** http(s) only, no credentials in the authority (put them in the path, as Slack and Discord do). */
export const notifyUrlSchema = z
  .string()
  .trim()
  .max(2048)
  .refine(
    (u) => {
      if (/[\s\x00-\x1f\x7f]/.test(u)) return false;
      try {
        const url = new URL(u);
        return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    { message: 'must be an http(s):// URL without user:password@' },
  );

// RFC 5321 is looser; this is the address form people actually type, and it keeps headers clean.
const emailSchema = z
  .string()
  .trim()
  .max(254)
  .regex(/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'must be an email address');

const hostnameSchema = z
  .string()
  .trim()
  .max(253)
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$|^[0-9a-fA-F:.]+$/, 'must be a host name or an IP address');

export const notifyEventsSchema = z
  .array(z.enum(NOTIFY_EVENTS, { error: `must be one of: ${NOTIFY_EVENTS.join(', ')}` }))
  .min(1, 'give at least one event')
  .max(NOTIFY_EVENTS.length);

export const smtpSchema = z.object({
  host: hostnameSchema,
  port: z.coerce.number().int().min(1).max(65535).default(587),
  /** `starttls` (refuses a server without STARTTLS), `tls` (implicit TLS, port 465) or `none`. */
  security: z.enum(SMTP_SECURITY).default('starttls'),
  user: z.string().trim().min(1).max(254).optional(),
  password: z.string().min(1).max(1024).optional(),
  from: emailSchema,
  to: z.array(emailSchema).min(1, 'give at least one recipient').max(20),
  /** PEM of a CA to trust for this server (a private mail relay); the system CAs otherwise. */
  ca: z
    .string()
    .max(64 * 1024)
    .refine((s) => s.includes('-----BEGIN CERTIFICATE-----'), 'must be a PEM certificate')
    .optional(),
});
export type SmtpInput = z.output<typeof smtpSchema>;

export const channelAddSchema = z
  .object({
    name: nameSchema,
    type: z.enum(CHANNEL_TYPES),
    /** webhook / slack / discord: where to POST. */
    url: notifyUrlSchema.optional(),
    /** webhook: the HMAC key of X-Infrakt-Signature (generated when not given). */
    secret: z.string().min(16, 'must be at least 16 characters').max(256).optional(),
    events: notifyEventsSchema.optional(),
    smtp: smtpSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.type === 'email') {
      if (!c.smtp) ctx.addIssue({ code: 'custom', path: ['smtp'], message: 'email channels need SMTP settings' });
      if (c.url)
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'email channels take SMTP settings, not a URL' });
    } else {
      if (!c.url) ctx.addIssue({ code: 'custom', path: ['url'], message: `${c.type} channels need a URL` });
      if (c.smtp) ctx.addIssue({ code: 'custom', path: ['smtp'], message: 'SMTP settings are for email channels' });
    }
    if (c.secret && c.type !== 'webhook') {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'a signing secret is for webhook channels' });
    }
  });
export type ChannelAddInput = z.input<typeof channelAddSchema>;
export type ChannelAdd = z.output<typeof channelAddSchema>;
