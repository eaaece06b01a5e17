import { InfraktError } from '../../../core/errors.js';
import type { Secret } from '../../../core/secret.js';

/**
 * A small client for the Hetzner Cloud API (https://docs.hetzner.cloud): bearer token, JSON, the documented
 * error object `{ error: { code, message, details } }`, 429 `rate_limit_exceeded` retried after the
 * RateLimit-* headers say a request is free again, transient 5xx/network errors retried for idempotent
 * requests only, and `meta.pagination` followed for lists. The token is never logged or put in an error.
 */

export const HETZNER_ENDPOINT = 'https://api.hetzner.cloud/v1';

export interface HetznerClientOptions {
  readonly token: Secret;
  /** API base URL (default the public endpoint; tests point it at a loopback fake). */
  readonly endpoint?: string;
  /** 429 responses retried before giving up (default 5). */
  readonly maxRateLimitRetries?: number;
  /** Longest single wait for the rate limit (default 60 s). */
  readonly maxWaitMs?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Told about each wait (e.g. to log "rate limited, retrying in 2 s"). */
  readonly onRetry?: (why: string, waitMs: number) => void;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
}

export interface HetznerErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

/** The API's error, kept with its code: callers branch on `apiCode` (e.g. uniqueness_error), never on text. */
export class HetznerApiError extends InfraktError {
  constructor(
    readonly status: number,
    readonly apiCode: string,
    message: string,
  ) {
    super(codeFor(status, apiCode), `Hetzner Cloud API: ${message} (${apiCode}, HTTP ${status})`, {
      hint: hintFor(apiCode),
      details: { status, apiCode },
    });
  }
}

function codeFor(status: number, apiCode: string): InfraktError['code'] {
  if (status === 401 || apiCode === 'unauthorized') return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409 || apiCode === 'uniqueness_error' || apiCode === 'conflict') return 'CONFLICT';
  if (status === 423 || apiCode === 'locked') return 'LOCKED';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 400 || status === 422 || apiCode === 'invalid_input') return 'VALIDATION';
  return 'COMMAND_FAILED';
}

function hintFor(apiCode: string): string | undefined {
  switch (apiCode) {
    case 'unauthorized':
      return 'the API token is wrong or revoked: infrakt provider add hetzner --name <name> (token on stdin) replaces it';
    case 'token_readonly':
      return 'the API token is read-only: create a Read & Write token in the Hetzner Console';
    case 'resource_limit_exceeded':
      return 'the project reached a resource limit: ask Hetzner to raise it, or remove unused servers';
    case 'rate_limit_exceeded':
      return 'the project used up its request budget (3600 per hour): wait and retry';
    case 'resource_unavailable':
      return 'this server type is not available in this location now: try another location or type';
    default:
      return undefined;
  }
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new InfraktError('CANCELLED', 'cancelled'));
      },
      { once: true },
    );
  });

/**
 * How long to wait after a 429: Retry-After when given, else until one request is available again. The API
 * refills its budget gradually (about one request per second), so waiting for RateLimit-Reset — the moment
 * it is full again — would be far too long; it only caps the wait.
 */
export function rateLimitWait(headers: Headers, attempt: number, nowMs: number, maxWaitMs: number): number {
  const retryAfter = Number(headers.get('Retry-After'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.min(retryAfter * 1000, maxWaitMs);
  const backoff = 1000 * 2 ** attempt;
  const reset = Number(headers.get('RateLimit-Reset'));
  const untilReset = Number.isFinite(reset) && reset > 0 ? reset * 1000 - nowMs : Number.POSITIVE_INFINITY;
  return Math.max(250, Math.min(backoff, untilReset, maxWaitMs));
}

export interface Pagination {
  readonly page: number;
  readonly per_page: number;
  readonly next_page: number | null;
  readonly last_page: number | null;
  readonly total_entries: number | null;
}

export class HetznerClient {
  readonly endpoint: string;
  constructor(private readonly o: HetznerClientOptions) {
    this.endpoint = (o.endpoint ?? HETZNER_ENDPOINT).replace(/\/+$/, '');
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const sleep = this.o.sleep ?? defaultSleep;
    const now = this.o.now ?? Date.now;
    const idempotent = method === 'GET' || method === 'DELETE' || method === 'PUT';
    for (let attempt = 0, limited = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.endpoint}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${this.o.token.reveal()}`,
            Accept: 'application/json',
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
            'User-Agent': 'infrakt',
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.any([
            AbortSignal.timeout(this.o.timeoutMs ?? 60_000),
            ...(this.o.signal ? [this.o.signal] : []),
          ]),
        });
      } catch (e) {
        if (this.o.signal?.aborted) throw new InfraktError('CANCELLED', 'cancelled');
        // A POST that may have reached the API is not sent again blindly: the caller reconciles (by name).
        if (!idempotent || attempt >= 3) {
          throw new InfraktError(
            'SSH_UNREACHABLE',
            `Hetzner Cloud API unreachable at ${this.endpoint}: ${(e as Error).message}`,
            {
              hint: 'check the network; a create that may have gone through is found by name on retry',
              details: { transport: true },
            },
          );
        }
        const wait = 500 * 2 ** attempt;
        this.o.onRetry?.(`network error on ${method} ${path}`, wait);
        await sleep(wait, this.o.signal);
        continue;
      }
      if (res.status === 429 && limited < (this.o.maxRateLimitRetries ?? 5)) {
        const wait = rateLimitWait(res.headers, limited, now(), this.o.maxWaitMs ?? 60_000);
        limited++;
        await res.body?.cancel();
        this.o.onRetry?.(`rate limited (RateLimit-Remaining ${res.headers.get('RateLimit-Remaining') ?? '?'})`, wait);
        await sleep(wait, this.o.signal);
        continue;
      }
      if (RETRYABLE_STATUS.has(res.status) && idempotent && attempt < 3) {
        await res.body?.cancel();
        const wait = 500 * 2 ** attempt;
        this.o.onRetry?.(`HTTP ${res.status} on ${method} ${path}`, wait);
        await sleep(wait, this.o.signal);
        continue;
      }
      const text = await res.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      if (!res.ok) {
        const err = (json as { error?: HetznerErrorBody } | null)?.error;
        throw new HetznerApiError(res.status, err?.code ?? 'unknown', err?.message ?? `HTTP ${res.status}`);
      }
      return json as T;
    }
  }

  /** Every item of a paginated list (`meta.pagination.next_page` followed; 50 per page, the maximum). */
  async list<T>(path: string, key: string, query: Record<string, string> = {}): Promise<T[]> {
    const out: T[] = [];
    for (let page: number | null = 1; page !== null; ) {
      const qs = new URLSearchParams({ ...query, page: String(page), per_page: '50' });
      const r: Record<string, unknown> & { meta?: { pagination?: Pagination } } = await this.request(
        'GET',
        `${path}?${qs}`,
      );
      out.push(...((r[key] as T[] | undefined) ?? []));
      const next: number | null = r.meta?.pagination?.next_page ?? null;
      if (next !== null && next <= page) break;
      page = next;
    }
    return out;
  }
}
