import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { LEVELS, type Level } from '../core/access.js';
import { type ErrorCode, InfraktError, toInfraktError } from '../core/errors.js';

/**
 * The one table from error code to HTTP status. 4xx: the caller can fix it; 502/504: a server
 * we talk to over SSH failed or timed out (the API itself is fine); 5xx otherwise.
 */
export const HTTP_STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  // Confirmation-style refusals (CLI prompts) have no prompt over HTTP: the request must say `force`.
  ABORTED: 409,
  CANCELLED: 409,
  // Recorded, not run: another admin approves it (routes that start jobs answer 202 with the job instead).
  APPROVAL_PENDING: 202,
  // Well-formed request the resource's current state does not allow (e.g. rollback without a previous release).
  STATE: 422,
  LOCKED: 423,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  INTERRUPTED: 500,
  SECRET: 500,
  STATE_TOO_NEW: 500,
  UNSUPPORTED: 501,
  SSH_UNREACHABLE: 502,
  SSH_AUTH: 502,
  HOST_KEY_MISMATCH: 502,
  COMMAND_FAILED: 502,
  HEALTH_CHECK_FAILED: 502,
  TIMEOUT: 504,
};

export interface ApiErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    hint?: string;
    /** Only for VALIDATION (`issues`: field + message), job references (`jobId`), level refusals (`need`, `have`). */
    details?: { issues?: { field: string; message: string }[]; jobId?: string; need?: Level; have?: Level };
  };
}

/** Keys of `details` safe to show a client; anything else (commands, stderr tails, paths) stays server-side. */
function publicDetails(err: InfraktError): ApiErrorBody['error']['details'] | undefined {
  const d = err.details;
  if (!d) return undefined;
  const out: NonNullable<ApiErrorBody['error']['details']> = {};
  if (err.code === 'VALIDATION' && Array.isArray(d.issues))
    out.issues = d.issues as { field: string; message: string }[];
  if (typeof d.jobId === 'string') out.jobId = d.jobId;
  if (err.code === 'FORBIDDEN') {
    const level = (v: unknown) => LEVELS.find((l) => l === v);
    if (level(d.need)) out.need = level(d.need);
    if (level(d.have)) out.have = level(d.have);
  }
  return Object.keys(out).length ? out : undefined;
}

export function errorBody(err: InfraktError): ApiErrorBody {
  // Unknown errors may carry internals (SQL, paths) in their message: show a generic one.
  const message = err.code === 'INTERNAL' ? 'internal error' : err.message;
  const hint = err.code === 'INTERNAL' ? 'see the infrakt serve log on the host; report it if it persists' : err.hint;
  const details = publicDetails(err);
  return { error: { code: err.code, message, ...(hint ? { hint } : {}), ...(details ? { details } : {}) } };
}

export function statusOf(err: InfraktError): ContentfulStatusCode {
  return HTTP_STATUS[err.code] ?? 500;
}

export type ErrorLogger = (err: InfraktError) => void;

/** Hono onError: every thrown thing becomes `{ error: { code, message, hint } }` with its real status. */
export function errorHandler(log: ErrorLogger) {
  return (e: unknown, c: Context) => {
    const err = isHttpBodyError(e)
      ? new InfraktError('VALIDATION', 'request body is not valid JSON')
      : toInfraktError(e);
    if (statusOf(err) >= 500) log(err);
    return c.json(errorBody(err), statusOf(err));
  };
}

// Hono throws HTTPException(400) for unparseable JSON bodies; it has a `status` and `getResponse`.
function isHttpBodyError(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    'getResponse' in e &&
    (e as { status?: number }).status === 400 &&
    !(e instanceof InfraktError)
  );
}

export function apiError(c: Context, err: InfraktError) {
  return c.json(errorBody(err), statusOf(err));
}
