import type { Context, MiddlewareHandler } from 'hono';
import { apiKeyMatches } from '../adapters/secrets/api-key.js';
import { InfraktError } from '../core/errors.js';
import { apiError } from './errors.js';

export const API_KEY_HEADER = 'X-API-Key';

export interface RateLimit {
  /** Failed attempts allowed per address inside the window before answering 429. */
  max: number;
  windowMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { max: 10, windowMs: 60_000 };
const MAX_TRACKED_ADDRESSES = 10_000;

/** Sliding window of failure timestamps per client address (in memory: one process serves the API). */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(addr: string): number[] {
    const cutoff = this.now() - this.limit.windowMs;
    const list = (this.failures.get(addr) ?? []).filter((t) => t > cutoff);
    if (list.length) this.failures.set(addr, list);
    else this.failures.delete(addr);
    return list;
  }

  /** Milliseconds until the address may try again, or 0 if it is not blocked. */
  blockedFor(addr: string): number {
    const list = this.recent(addr);
    if (list.length < this.limit.max) return 0;
    return Math.max(1, list[list.length - this.limit.max]! + this.limit.windowMs - this.now());
  }

  fail(addr: string): void {
    const list = this.recent(addr);
    list.push(this.now());
    // Bounded memory under a flood of distinct addresses: forget the oldest entries first.
    if (!this.failures.has(addr) && this.failures.size >= MAX_TRACKED_ADDRESSES) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(addr, list.slice(-this.limit.max));
  }
}

export type ClientAddress = (c: Context) => string;

/** The TCP peer (node-server puts the IncomingMessage in `c.env.incoming`); `unknown` in-process. */
export const socketAddress: ClientAddress = (c) => {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
};

/**
 * Behind a reverse proxy on this machine every peer is 127.0.0.1: one client's failures would lock out
 * everyone. With `--trust-proxy`, a loopback peer's request is attributed to the last X-Forwarded-For
 * entry (the one the proxy appended; anything before it is client-supplied and ignored).
 */
export function proxiedAddress(socket: ClientAddress = socketAddress): ClientAddress {
  return (c) => {
    const peer = socket(c);
    const loopback = peer === '::1' || peer.startsWith('127.') || peer.startsWith('::ffff:127.');
    const xff = c.req.header('X-Forwarded-For');
    if (!loopback || !xff) return peer;
    const last = xff.split(',').pop()?.trim();
    return last && /^[0-9a-fA-F:.]{2,45}$/.test(last) ? last : peer;
  };
}

/**
 * `X-API-Key` on every request it guards: missing → 401, wrong → 403 (constant-time compare),
 * too many failures from one address → 429 with Retry-After for its failing requests (never for the
 * right key). The key is never logged or echoed.
 */
export function requireApiKey(opts: {
  apiKey: () => string;
  limiter: FailureLimiter;
  clientAddress: ClientAddress;
}): MiddlewareHandler {
  return async (c, next) => {
    const addr = opts.clientAddress(c);
    const given = c.req.header(API_KEY_HEADER);
    // The right key is always accepted: only failures are throttled, so a local process (which shares
    // 127.0.0.1 with the owner's browser and tunnels) cannot lock the owner out by failing on purpose.
    if (given && apiKeyMatches(opts.apiKey(), given)) return next();
    const wait = opts.limiter.blockedFor(addr);
    if (wait > 0) {
      c.header('Retry-After', String(Math.ceil(wait / 1000)));
      return apiError(
        c,
        new InfraktError('RATE_LIMITED', 'too many failed API key attempts from this address', {
          hint: `wait ${Math.ceil(wait / 1000)} s; the key is in $INFRAKT_HOME/api_key (infrakt api-key show)`,
        }),
      );
    }
    if (!given) {
      opts.limiter.fail(addr);
      return apiError(
        c,
        new InfraktError('UNAUTHORIZED', 'missing API key', {
          hint: `send it in the ${API_KEY_HEADER} header; print it with: infrakt api-key show`,
        }),
      );
    }
    opts.limiter.fail(addr);
    return apiError(
      c,
      new InfraktError('FORBIDDEN', 'invalid API key', {
        hint: 'the key may have been rotated; print the current one with: infrakt api-key show',
      }),
    );
  };
}
