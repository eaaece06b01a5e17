import type { ErrorCode } from '../core/errors.js';

/** Documented CLI exit codes, one per error class (README "Exit codes"). */
export const EXIT_CODES: Record<ErrorCode, number> = {
  INTERNAL: 1,
  VALIDATION: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  LOCKED: 5,
  STATE: 6,
  ABORTED: 7,
  APPROVAL_PENDING: 8,
  SSH_UNREACHABLE: 10,
  SSH_AUTH: 11,
  HOST_KEY_MISMATCH: 12,
  COMMAND_FAILED: 13,
  HEALTH_CHECK_FAILED: 14,
  TIMEOUT: 15,
  CANCELLED: 16,
  INTERRUPTED: 17,
  SECRET: 20,
  STATE_TOO_NEW: 21,
  UNSUPPORTED: 22,
  UNAUTHORIZED: 30,
  FORBIDDEN: 31,
  RATE_LIMITED: 32,
};
