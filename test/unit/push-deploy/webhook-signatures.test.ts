// Webhook deliveries: each forge's signature scheme, the event shapes infrakt acts on, and the limits.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseEvent, prHeadRef } from '../../../src/services/webhooks/payloads.js';
import { SlidingWindow } from '../../../src/services/webhooks/rate-limit.js';
import {
  deliveryIdOf,
  detectProvider,
  type HeaderGet,
  verifySignature,
} from '../../../src/services/webhooks/signatures.js';

const SECRET = 'a-webhook-secret-of-enough-length';
const body = Buffer.from(`{"ref":"refs/heads/main","after":"${'a'.repeat(40)}"}`);
const hex = (s: string, b: Buffer) => createHmac('sha256', s).update(b).digest('hex');
const headers =
  (h: Record<string, string>): HeaderGet =>
  (n) =>
    h[n.toLowerCase()];

describe('signatures', () => {
  it('GitHub: sha256=<HMAC of the exact body>; a changed body, secret or prefix fails', () => {
    const ok = headers({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hex(SECRET, body)}` });
    expect(detectProvider(ok)).toBe('github');
    expect(verifySignature('github', ok, body, SECRET)).toBe('ok');
    expect(verifySignature('github', ok, Buffer.concat([body, Buffer.from(' ')]), SECRET)).toBe('bad');
    expect(verifySignature('github', ok, body, `${SECRET}x`)).toBe('bad');
    const noPrefix = headers({ 'x-github-event': 'push', 'x-hub-signature-256': hex(SECRET, body) });
    expect(verifySignature('github', noPrefix, body, SECRET)).toBe('bad');
    expect(verifySignature('github', headers({ 'x-github-event': 'push' }), body, SECRET)).toBe('missing');
    // A truncated or non-hex signature is simply wrong (no exception from the constant-time compare).
    const short = headers({ 'x-hub-signature-256': `sha256=${hex(SECRET, body).slice(0, 10)}` });
    expect(verifySignature('github', short, body, SECRET)).toBe('bad');
    expect(verifySignature('github', headers({ 'x-hub-signature-256': 'sha256=zz' }), body, SECRET)).toBe('bad');
  });

  it('Gitea and Forgejo: the bare hex HMAC; recognised before the GitHub headers they also send', () => {
    const gitea = headers({
      'x-gitea-event': 'push',
      'x-github-event': 'push',
      'x-gitea-signature': hex(SECRET, body),
      'x-gitea-delivery': 'd-1',
    });
    expect(detectProvider(gitea)).toBe('gitea');
    expect(verifySignature('gitea', gitea, body, SECRET)).toBe('ok');
    expect(deliveryIdOf('gitea', gitea)).toBe('d-1');
    const forgejo = headers({ 'x-forgejo-event': 'push', 'x-forgejo-signature': hex(SECRET, body) });
    expect(detectProvider(forgejo)).toBe('forgejo');
    expect(verifySignature('forgejo', forgejo, body, SECRET)).toBe('ok');
    expect(verifySignature('forgejo', forgejo, body, 'other-secret')).toBe('bad');
  });

  it('GitLab: the token itself, compared in constant time; Idempotency-Key is the delivery id', () => {
    const gl = headers({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET, 'idempotency-key': 'k-9' });
    expect(detectProvider(gl)).toBe('gitlab');
    expect(verifySignature('gitlab', gl, body, SECRET)).toBe('ok');
    expect(verifySignature('gitlab', gl, body, 'short')).toBe('bad');
    expect(verifySignature('gitlab', headers({ 'x-gitlab-event': 'Push Hook' }), body, SECRET)).toBe('missing');
    expect(deliveryIdOf('gitlab', gl)).toBe('k-9');
  });

  it('no known event header: not a delivery; a delivery id with odd characters is not trusted', () => {
    expect(detectProvider(headers({ 'content-type': 'application/json' }))).toBeNull();
    expect(deliveryIdOf('github', headers({ 'x-github-delivery': 'a b;c' }))).toBeNull();
  });
});

describe('events', () => {
  const sha = 'b'.repeat(40);
  it('push: branch and commit; tag pushes and deleted branches carry none', () => {
    expect(parseEvent('github', 'push', { ref: 'refs/heads/main', after: sha })).toEqual({
      kind: 'push',
      branch: 'main',
      commit: sha,
    });
    expect(parseEvent('github', 'push', { ref: 'refs/tags/v1', after: sha })).toMatchObject({ branch: null });
    expect(parseEvent('github', 'push', { ref: 'refs/heads/main', after: '0'.repeat(40) })).toMatchObject({
      commit: null,
    });
    // GitLab names the commit to check out in checkout_sha.
    expect(
      parseEvent('gitlab', 'Push Hook', { ref: 'refs/heads/dev', after: 'c'.repeat(40), checkout_sha: sha }),
    ).toEqual({ kind: 'push', branch: 'dev', commit: sha });
    expect(parseEvent('github', 'push', { ref: 'refs/heads/main' })).toBeNull();
  });

  it('pull requests of each forge map to open / update / close', () => {
    const gh = (action: string) =>
      parseEvent('github', 'pull_request', {
        action,
        number: 7,
        pull_request: { head: { sha, ref: 'feat' }, base: { ref: 'main' } },
      });
    expect(gh('opened')).toEqual({
      kind: 'pr',
      action: 'open',
      number: 7,
      headSha: sha,
      headRef: 'feat',
      baseBranch: 'main',
    });
    expect(gh('reopened')).toMatchObject({ action: 'open' });
    expect(gh('synchronize')).toMatchObject({ action: 'update' });
    expect(gh('closed')).toMatchObject({ action: 'close' });
    expect(gh('labeled')).toMatchObject({ action: 'other' });
    expect(
      parseEvent('gitea', 'pull_request', {
        action: 'synchronized',
        number: 2,
        pull_request: { head: { sha, ref: 'x' }, base: { ref: 'main' } },
      }),
    ).toMatchObject({ action: 'update' });
    const mr = (action: string, oldrev?: string) =>
      parseEvent('gitlab', 'Merge Request Hook', {
        object_attributes: {
          iid: 3,
          action,
          source_branch: 'feat',
          target_branch: 'main',
          last_commit: { id: sha },
          ...(oldrev ? { oldrev } : {}),
        },
      });
    expect(mr('open')).toMatchObject({ action: 'open', number: 3 });
    expect(mr('update', 'd'.repeat(40))).toMatchObject({ action: 'update' });
    // A title edit is an "update" without new commits: nothing to redeploy.
    expect(mr('update')).toMatchObject({ action: 'other' });
    expect(mr('merge')).toMatchObject({ action: 'close' });
    expect(prHeadRef('github', 4)).toBe('refs/pull/4/head');
    expect(prHeadRef('gitlab', 4)).toBe('refs/merge-requests/4/head');
  });
});

describe('rate limit', () => {
  it('allows max events per window, refuses more without recording them, and recovers', () => {
    let now = 0;
    const w = new SlidingWindow(3, 1000, () => now);
    expect([w.take('h'), w.take('h'), w.take('h'), w.take('h')]).toEqual([true, true, true, false]);
    expect(w.take('other')).toBe(true);
    now = 1001;
    expect(w.take('h')).toBe(true);
  });
});
