import { createSseParser, type SseEvent } from './sse.js';

/** Mirrors the API's `{ error: { code, message, hint } }`; `status` 0 means the request never got an answer. */
export class ApiError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, code: string, message: string, hint?: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.hint = hint;
    this.details = details;
  }

  /** A 403 because the caller's role/scope is too low (`details.need`), not because the credential is bad. */
  get levelRefusal(): boolean {
    return this.status === 403 && typeof this.details?.need === 'string';
  }

  /** Field-level problems from a VALIDATION error (`details.issues`), keyed by field. */
  fieldErrors(): Record<string, string> {
    const issues = this.details?.issues;
    const out: Record<string, string> = {};
    if (!Array.isArray(issues)) return out;
    for (const i of issues) {
      if (i && typeof i === 'object' && typeof i.field === 'string' && typeof i.message === 'string') {
        out[i.field] ??= i.message;
      }
    }
    return out;
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

/**
 * An error carried inside an answer rather than as a refusal — a failed job, a failed server check, a stream's or
 * terminal's error event — as an ApiError, so views show its code and hint (e.g. how to accept a changed host key)
 * like those of any refused request. Status 0: no HTTP refusal.
 */
export function carriedError(e: unknown, fallbackMessage = 'failed'): ApiError {
  const o = e && typeof e === 'object' ? (e as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return new ApiError(0, str(o.code) ?? 'ERROR', str(o.message) ?? fallbackMessage, str(o.hint));
}

const FALLBACK_CODES: Record<number, string> = {
  400: 'VALIDATION',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  423: 'LOCKED',
  429: 'RATE_LIMITED',
  504: 'TIMEOUT',
};

/** Turns any non-2xx response body into an ApiError, whether or not it is the API's JSON shape. */
export function errorFromResponse(status: number, statusText: string, body: string): ApiError {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    const e = parsed?.error;
    if (e && typeof e === 'object') {
      const { code, message, hint, details } = e as Record<string, unknown>;
      if (typeof code === 'string' && typeof message === 'string') {
        return new ApiError(
          status,
          code,
          message,
          typeof hint === 'string' ? hint : undefined,
          details && typeof details === 'object' ? (details as Record<string, unknown>) : undefined,
        );
      }
    }
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): fall through to a status-based error.
  }
  const code = FALLBACK_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'HTTP_ERROR');
  const text = body.trim().slice(0, 200);
  const message = `${status} ${statusText || 'error'}${text && !text.startsWith('<') ? `: ${text}` : ''}`;
  return new ApiError(status, code, message);
}

export interface ClientOptions {
  baseUrl?: string;
  getKey: () => string | null;
  /** Called on 401/403: the key is missing, wrong or revoked. */
  onUnauthorized?: (e: ApiError) => void;
  fetch?: typeof fetch;
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Skip the unauthorized hook (the login form checks a candidate key itself). */
  key?: string;
}

export interface SseOptions {
  signal: AbortSignal;
  onEvent: (e: SseEvent) => void;
  lastEventId?: string | null;
}

export type Client = ReturnType<typeof createClient>;

export const SESSION_PREFIX = 'session:';

export function createClient(opts: ClientOptions) {
  const base = opts.baseUrl ?? '';
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  // A signed-in user holds `session:<csrf token>`: the HttpOnly cookie goes along by itself (same origin), the CSRF
  // token in its header. Anything else is the owner's API key (or a scoped token).
  function headers(key: string | null, extra: Record<string, string> = {}): Record<string, string> {
    const auth: Record<string, string> = !key
      ? {}
      : key.startsWith(SESSION_PREFIX)
        ? { 'X-CSRF-Token': key.slice(SESSION_PREFIX.length) }
        : { 'X-API-Key': key };
    return { ...auth, ...extra };
  }

  async function send(
    method: string,
    path: string,
    ro: RequestOptions,
    accept: string,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const key = ro.key ?? opts.getKey();
    const init: RequestInit = {
      method,
      headers: headers(key, {
        ...extra,
        Accept: accept,
        ...(ro.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      }),
      ...(ro.body !== undefined ? { body: JSON.stringify(ro.body) } : {}),
      ...(ro.signal ? { signal: ro.signal } : {}),
    };
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, init);
    } catch (e) {
      if (ro.signal?.aborted) throw e;
      throw new ApiError(0, 'NETWORK', 'cannot reach the infrakt API', 'is `infrakt serve` running?');
    }
    if (!res.ok) {
      const err = errorFromResponse(res.status, res.statusText, await res.text().catch(() => ''));
      // A level refusal (403 naming the access it needs) is not a bad credential: stay signed in.
      if ((res.status === 401 || (res.status === 403 && !err.levelRefusal)) && ro.key === undefined)
        opts.onUnauthorized?.(err);
      throw err;
    }
    return res;
  }

  async function request<T>(method: string, path: string, ro: RequestOptions = {}): Promise<T> {
    const res = await send(method, path, ro, 'application/json');
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, 'BAD_RESPONSE', 'the API answered with something that is not JSON');
    }
  }

  /**
   * Reads a Server-Sent Events stream over fetch (EventSource cannot send the X-API-Key header,
   * and the key must never go into a URL). Resolves when the server ends the stream.
   */
  async function sse(path: string, so: SseOptions): Promise<void> {
    const extra: Record<string, string> = so.lastEventId ? { 'Last-Event-ID': so.lastEventId } : {};
    const res = await send('GET', path, { signal: so.signal }, 'text/event-stream', extra);
    if (!res.body) throw new ApiError(res.status, 'BAD_RESPONSE', 'the event stream has no body');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = createSseParser(so.onEvent);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.push(value);
      }
    } finally {
      parser.end();
      reader.releaseLock();
    }
  }

  return {
    request,
    sse,
    get: <T>(path: string, ro?: RequestOptions) => request<T>('GET', path, ro),
    post: <T>(path: string, body?: unknown, ro?: RequestOptions) => request<T>('POST', path, { ...ro, body }),
    put: <T>(path: string, body?: unknown, ro?: RequestOptions) => request<T>('PUT', path, { ...ro, body }),
    patch: <T>(path: string, body?: unknown, ro?: RequestOptions) => request<T>('PATCH', path, { ...ro, body }),
    del: <T>(path: string, ro?: RequestOptions) => request<T>('DELETE', path, ro),
  };
}
