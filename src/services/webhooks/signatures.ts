import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WEBHOOK_PROVIDERS } from '../../core/schemas/views/webhooks.js';

export type Provider = (typeof WEBHOOK_PROVIDERS)[number];
export type HeaderGet = (name: string) => string | undefined;

/**
 * Which forge sent a delivery, from its event header. Gitea and Forgejo also send GitHub's headers for
 * compatibility, so they are recognised first.
 */
export function detectProvider(h: HeaderGet): Provider | null {
  if (h('x-forgejo-event')) return 'forgejo';
  if (h('x-gitea-event')) return 'gitea';
  if (h('x-gitlab-event')) return 'gitlab';
  if (h('x-github-event')) return 'github';
  return null;
}

export const eventName = (p: Provider, h: HeaderGet): string =>
  (p === 'github'
    ? h('x-github-event')
    : p === 'gitlab'
      ? h('x-gitlab-event')
      : p === 'gitea'
        ? h('x-gitea-event')
        : h('x-forgejo-event')) ?? '';

/**
 * The forge's id of this delivery, the same when it redelivers. GitLab's `Idempotency-Key` is stable across
 * retries; older GitLab versions send only the event UUID.
 */
export function deliveryIdOf(p: Provider, h: HeaderGet): string | null {
  const v =
    p === 'github'
      ? h('x-github-delivery')
      : p === 'gitlab'
        ? (h('idempotency-key') ?? h('x-gitlab-event-uuid'))
        : p === 'gitea'
          ? h('x-gitea-delivery')
          : (h('x-forgejo-delivery') ?? h('x-gitea-delivery'));
  return v && /^[A-Za-z0-9._:-]{1,128}$/.test(v) ? v : null;
}

export type Verdict = 'ok' | 'missing' | 'bad';

const hmac = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest();

/** Compares a hex digest given by the sender with ours in constant time (a malformed one is simply wrong). */
function hexMatches(given: string, expected: Buffer): boolean {
  if (!/^[0-9a-fA-F]+$/.test(given) || given.length !== expected.length * 2) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

/**
 * Checks that the delivery was made with the app's secret:
 * - GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`
 * - Gitea / Forgejo: `X-Gitea-Signature` / `X-Forgejo-Signature: <hex HMAC-SHA256(secret, body)>`
 * - GitLab: `X-Gitlab-Token: <secret>` (GitLab sends the token itself, not a signature)
 * Every comparison is constant-time; GitLab's token is compared through SHA-256 digests so that its length
 * does not leak either.
 */
export function verifySignature(p: Provider, h: HeaderGet, body: Buffer, secret: string): Verdict {
  if (p === 'gitlab') {
    const token = h('x-gitlab-token');
    if (!token) return 'missing';
    const a = createHash('sha256').update(token).digest();
    const b = createHash('sha256').update(secret).digest();
    return timingSafeEqual(a, b) ? 'ok' : 'bad';
  }
  const given =
    p === 'github'
      ? h('x-hub-signature-256')
      : p === 'gitea'
        ? h('x-gitea-signature')
        : (h('x-forgejo-signature') ?? h('x-gitea-signature'));
  if (!given) return 'missing';
  const hex = p === 'github' ? (given.startsWith('sha256=') ? given.slice(7) : '') : given;
  return hexMatches(hex.trim(), hmac(secret, body)) ? 'ok' : 'bad';
}
