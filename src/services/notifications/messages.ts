import { createHmac } from 'node:crypto';

/** An event as stored in the outbox, ready to be rendered for a channel. */
export interface StoredEvent {
  id: number;
  type: string;
  subject: string;
  ts: string;
  text: string;
  data: Record<string, unknown>;
}

export const SIGNATURE_HEADER = 'X-Infrakt-Signature';
export const TIMESTAMP_HEADER = 'X-Infrakt-Timestamp';

/** The generic webhook body (docs/notifications.md documents it). */
export function webhookBody(e: StoredEvent, deliveryId: number): string {
  return JSON.stringify({
    id: e.id,
    delivery: deliveryId,
    type: e.type,
    subject: e.subject,
    ts: e.ts,
    text: e.text,
    data: e.data,
  });
}

/**
 * `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the timestamp is signed with the body, so a
 * receiver that refuses old timestamps also refuses replays.
 */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Slack-compatible incoming webhooks (also Mattermost, Rocket.Chat): `text` with mrkdwn. */
export function slackBody(e: StoredEvent): string {
  return JSON.stringify({ text: `${e.text}\n_${e.type} · ${e.subject} · ${e.ts}_` });
}

/** Discord incoming webhooks: `content` (max 2000 characters), no mentions ever parsed from our text. */
export function discordBody(e: StoredEvent): string {
  const content = `${e.text}\n-# ${e.type} · ${e.subject} · ${e.ts}`;
  return JSON.stringify({
    username: 'infrakt',
    content: content.length > 2000 ? `${content.slice(0, 1997)}...` : content,
    allowed_mentions: { parse: [] },
  });
}

export function mailSubject(e: StoredEvent): string {
  // Header injection: one line, bounded.
  return `[infrakt] ${e.text}`.replace(/[\r\n]+/g, ' ').slice(0, 200);
}

export function mailText(e: StoredEvent): string {
  const lines = [e.text, '', `event:   ${e.type}`, `subject: ${e.subject}`, `time:    ${e.ts}`];
  for (const [k, v] of Object.entries(e.data)) {
    if (v === null || v === undefined) continue;
    lines.push(`${`${k}:`.padEnd(9)}${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  return `${lines.join('\n')}\n\n-- \nsent by infrakt\n`;
}
