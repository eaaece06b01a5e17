import { describe, expect, it } from 'vitest';
import { atLeast, inScope } from '../../src/core/access.js';
import { actingAs, webhookPrincipal } from '../../src/services/governance/acting-as.js';
import type { Ctx } from '../../src/services/shared/context.js';

describe('the principal a signed webhook delivery acts as', () => {
  it('a push may touch its own app on its own server, and nothing else', () => {
    const p = webhookPrincipal('prod', ['web'], 'github');
    expect(p.level).toBe('deploy');
    expect(atLeast(p.level, 'admin')).toBe(false);
    expect(inScope(p, { server: 'prod', app: 'web' })).toBe(true);
    expect(inScope(p, { server: 'prod', app: 'api' })).toBe(false);
    expect(inScope(p, { server: 'staging', app: 'web' })).toBe(false);
    expect(inScope(p, { server: 'prod' })).toBe(false);
  });

  it('a pull request event may create its preview on the app server, not on another server', () => {
    const p = webhookPrincipal('prod', null, 'gitea');
    expect(inScope(p, { server: 'prod' })).toBe(true);
    expect(inScope(p, { server: 'prod', app: 'web-pr-3' })).toBe(true);
    expect(inScope(p, { server: 'staging', app: 'web-pr-3' })).toBe(false);
  });

  it('actingAs gives the context its principal and actor and a job runner governed for it', () => {
    const jobs = { start: async () => ({ id: 'x', done: Promise.resolve() }) } as unknown as Ctx['jobs'];
    const base = { actor: 'api', jobs } as unknown as Ctx;
    const p = webhookPrincipal('prod', ['web'], 'github');
    const c = actingAs(base, p, 'webhook (github)');
    expect(c.principal).toBe(p);
    expect(c.actor).toBe('webhook (github)');
    expect(c.jobs).not.toBe(jobs);
    expect(base.principal).toBeUndefined();
  });
});
