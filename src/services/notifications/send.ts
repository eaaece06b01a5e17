import { postJson } from '../../adapters/notify/http-post.js';
import { sendMail } from '../../adapters/notify/smtp.js';
import type { NotifyChannelRow } from '../../adapters/store/schema-push-deploy.js';
import { InfraktError } from '../../core/errors.js';
import type { Ctx } from '../shared/context.js';
import { channelConfig, channelSecrets } from './channels.js';
import {
  discordBody,
  mailSubject,
  mailText,
  SIGNATURE_HEADER,
  type StoredEvent,
  signBody,
  slackBody,
  TIMESTAMP_HEADER,
  webhookBody,
} from './messages.js';

declare const INFRAKT_VERSION: string;
const USER_AGENT = `infrakt/${typeof INFRAKT_VERSION === 'string' ? INFRAKT_VERSION : 'dev'}`;

export interface SendResult {
  responseCode: number | null;
}

/**
 * One delivery attempt of an event to a channel. Throws with a message fit for the delivery log: secret
 * parts (URL paths, passwords) never appear in it.
 */
export async function sendToChannel(
  ctx: Pick<Ctx, 'cipher' | 'clock'>,
  channel: NotifyChannelRow,
  event: StoredEvent,
  deliveryId: number,
  timeoutMs: number,
): Promise<SendResult> {
  const secrets = channelSecrets(ctx, channel);
  const scrub = (msg: string): string => {
    let m = msg;
    for (const s of [secrets.url, secrets.signingSecret, secrets.smtpPassword])
      if (s) m = m.split(s).join('[redacted]');
    return m;
  };
  try {
    if (channel.type === 'email') {
      const smtp = channelConfig(channel).smtp;
      if (!smtp) throw new InfraktError('STATE', `channel ${channel.name} has no SMTP settings`);
      const r = await sendMail(
        { ...smtp, password: secrets.smtpPassword },
        { from: smtp.from, to: smtp.to, subject: mailSubject(event), text: mailText(event) },
        timeoutMs,
      );
      const code = Number(r.response.slice(0, 3));
      return { responseCode: Number.isInteger(code) && code > 0 ? code : null };
    }
    if (!secrets.url) throw new InfraktError('STATE', `channel ${channel.name} has no URL`);
    let body: string;
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
    if (channel.type === 'webhook') {
      body = webhookBody(event, deliveryId);
      const ts = Math.floor(ctx.clock.now().getTime() / 1000);
      headers['X-Infrakt-Event'] = event.type;
      headers['X-Infrakt-Delivery'] = String(deliveryId);
      headers[TIMESTAMP_HEADER] = String(ts);
      headers[SIGNATURE_HEADER] = signBody(secrets.signingSecret ?? '', ts, body);
    } else {
      body = channel.type === 'slack' ? slackBody(event) : discordBody(event);
    }
    const r = await postJson(secrets.url, body, headers, timeoutMs);
    if (r.status < 200 || r.status > 299) {
      throw new InfraktError('COMMAND_FAILED', `the receiver answered HTTP ${r.status}${r.body ? `: ${r.body}` : ''}`, {
        details: { responseCode: r.status },
      });
    }
    return { responseCode: r.status };
  } catch (e) {
    const err = e instanceof InfraktError ? e : new InfraktError('COMMAND_FAILED', (e as Error).message);
    throw new InfraktError(err.code, scrub(err.message), { details: err.details });
  }
}
