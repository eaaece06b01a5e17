import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { errorBody, errorHandler, HTTP_STATUS } from '../../src/api/errors.js';
import { ERROR_CODES, InfraktError } from '../../src/core/errors.js';
import { body } from './api-fixture.js';

function appThrowing(e: unknown, logged: InfraktError[] = []) {
  const app = new Hono();
  app.onError(errorHandler((err) => logged.push(err)));
  app.get('/x', () => {
    throw e;
  });
  return app;
}

describe('error code → HTTP status (one table)', () => {
  const expected: Record<string, number> = {
    VALIDATION: 400,
    UNAUTHORIZED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    CONFLICT: 409,
    ABORTED: 409,
    APPROVAL_PENDING: 202,
    CANCELLED: 409,
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

  it('covers every error code', () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...ERROR_CODES].sort());
  });

  for (const code of ERROR_CODES) {
    it(`${code} → ${expected[code]} with { error: { code, message, hint } }`, async () => {
      const res = await appThrowing(new InfraktError(code, `boom ${code}`, { hint: 'do this' })).request('/x');
      expect(res.status).toBe(expected[code]);
      const b = await body(res);
      expect(b.error.code).toBe(code);
      expect(typeof b.error.message).toBe('string');
      expect(b.error.hint).toBeTypeOf('string');
    });
  }
});

describe('no internals in responses', () => {
  it('an unexpected Error becomes INTERNAL 500 with a generic message, logged server-side', async () => {
    const logged: InfraktError[] = [];
    const err = new Error('SQLITE_CORRUPT at /root/.infrakt/infrakt.db');
    const res = await appThrowing(err, logged).request('/x');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('SQLITE');
    expect(text).not.toContain('/root');
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    expect(JSON.parse(text).error).toMatchObject({ code: 'INTERNAL', message: 'internal error' });
    expect(logged[0]?.message).toContain('SQLITE_CORRUPT');
  });

  it('details are dropped except validation issues and job ids', () => {
    const failed = new InfraktError('COMMAND_FAILED', 'docker compose up failed', {
      details: { command: "sh -c 'echo s3cret'", stderrTail: 'token=abc', exitCode: 1, jobId: 'j_1' },
    });
    expect(errorBody(failed)).toEqual({
      error: { code: 'COMMAND_FAILED', message: 'docker compose up failed', details: { jobId: 'j_1' } },
    });
    const v = new InfraktError('VALIDATION', 'invalid name', {
      details: { issues: [{ field: 'name', message: 'bad' }] },
    });
    expect(errorBody(v).error.details).toEqual({ issues: [{ field: 'name', message: 'bad' }] });
  });
});
