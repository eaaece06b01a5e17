/**
 * One error type for the whole product. The `code` is stable and is what each
 * entry point (CLI exit code, HTTP status, MCP error) maps from.
 */
export const ERROR_CODES = [
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'LOCKED',
  'STATE',
  'ABORTED',
  /** The request was recorded and waits for another admin's approval (a policy asks for it). */
  'APPROVAL_PENDING',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'SSH_UNREACHABLE',
  'SSH_AUTH',
  'HOST_KEY_MISMATCH',
  'COMMAND_FAILED',
  'HEALTH_CHECK_FAILED',
  'TIMEOUT',
  'CANCELLED',
  /** A job whose process died mid-run (found on the next start). */
  'INTERRUPTED',
  'SECRET',
  'STATE_TOO_NEW',
  'UNSUPPORTED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInit {
  hint?: string | undefined;
  details?: Record<string, unknown> | undefined;
  cause?: unknown;
}

export class InfraktError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, init: ErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'InfraktError';
    this.code = code;
    this.hint = init.hint;
    this.details = init.details;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isInfraktError(e: unknown): e is InfraktError {
  return e instanceof InfraktError;
}

export const validation = (message: string, hint?: string, details?: Record<string, unknown>) =>
  new InfraktError('VALIDATION', message, { hint, details });

export const notFound = (what: string, name: string, hint?: string) =>
  new InfraktError('NOT_FOUND', `${what} '${name}' not found`, { hint });

export const conflict = (message: string, hint?: string) => new InfraktError('CONFLICT', message, { hint });

/** Wraps anything thrown into an InfraktError without leaking internals into the message. */
export function toInfraktError(e: unknown): InfraktError {
  if (e instanceof InfraktError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new InfraktError('INTERNAL', `unexpected error: ${message}`, {
    hint: 'run again with --debug for a stack trace, and report it if it persists',
    cause: e,
  });
}
