import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InfraktError } from '../../src/core/errors.js';
import { secret } from '../../src/core/secret.js';
import { type TempStore, tempStore, testDialect } from '../harness/temp-store.js';

let t: TempStore;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

const VALUE = 'pw-9f8e7d6c5b4a';

/** Everything the database holds: SQLite's file bytes (and its WAL), or every row of the job tables on Postgres. */
async function dbBytes(): Promise<string> {
  if (testDialect === 'postgres') {
    const tables = ['jobs', 'job_steps', 'job_logs', 'locks'] as const;
    const rows = await Promise.all(tables.map((n) => t.store.db.selectFrom(n).selectAll().execute()));
    return JSON.stringify(rows);
  }
  // WAL mode: recent pages live in the -wal file; check both, before and after a checkpoint.
  const parts = [t.file, `${t.file}-wal`].map((f) => {
    try {
      return readFileSync(f).toString('latin1');
    } catch {
      return '';
    }
  });
  return parts.join('');
}

describe('job log redaction', () => {
  it('a secret registered with addSecrets never lands in job_logs, steps, errors or results', async () => {
    const jobs = t.runner();
    const pw = secret(VALUE);
    const err = await jobs
      .run({ kind: 'db.create', target: 'web-1/pg' }, async (job) => {
        job.addSecrets(pw);
        job.log(`echo password=${VALUE}`);
        await job.step('create role', async (s) => {
          s.log(`psql: ALTER ROLE app PASSWORD '${VALUE}'`, 'stdout');
          s.log(`multi\nline ${VALUE}\r\nend`, 'stderr');
          s.detail(`user app / ${VALUE}`);
        });
        await job.step('verify', async () => {
          throw new InfraktError('COMMAND_FAILED', `login with ${VALUE} failed`, {
            hint: `try ${VALUE}`,
            details: { stderrTail: `FATAL: password ${VALUE}` },
          });
        });
      })
      .catch((e) => e);
    expect(err.message).toBe('login with [redacted] failed');
    expect(err.hint).toBe('try [redacted]');
    expect(err.details.stderrTail).toBe('FATAL: password [redacted]');
    expect(JSON.stringify(err)).not.toContain(VALUE);
    const logs = await jobs.logs(err.details.jobId);
    expect(logs.map((l) => l.line)).toEqual([
      'echo password=[redacted]',
      "psql: ALTER ROLE app PASSWORD '[redacted]'",
      'multi',
      'line [redacted]',
      'end',
    ]);
    const rec = await jobs.get(err.details.jobId);
    expect(JSON.stringify(rec)).not.toContain(VALUE);
    expect(await dbBytes()).not.toContain(VALUE);
    t.store.raw?.pragma('wal_checkpoint(TRUNCATE)');
    expect(await dbBytes()).not.toContain(VALUE);
  });

  it('a secret spanning a line break or the long-line cut does not leak in parts', async () => {
    const jobs = t.runner();
    const multi = 'first-half-9f8e\nsecond-half-7d6c';
    const { jobId } = await jobs.run({ kind: 'x', target: 'y' }, async (job) => {
      job.addSecrets(secret(multi), secret(VALUE));
      job.log(`key: ${multi} end`);
      job.log(`${'x'.repeat(16 * 1024 - 5)}${VALUE}`);
    });
    const text = (await jobs.logs(jobId)).map((l) => l.line).join('\n');
    expect(text).not.toContain('first-half');
    expect(text).not.toContain('second-half');
    expect(text).not.toContain(VALUE.slice(0, 5));
    expect(await dbBytes()).not.toContain('first-half');
  });

  it('results are stored as JSON with Secrets redacted and scrubbed', async () => {
    const jobs = t.runner();
    const pw = secret(VALUE);
    const { jobId, result } = await jobs.run({ kind: 'x', target: 'y' }, async (job) => {
      job.addSecrets(pw);
      return { password: pw, url: `postgres://app:${VALUE}@db/app` };
    });
    expect(result.password).toBe(pw);
    expect((await jobs.get(jobId)).result).toEqual({ password: '[redacted]', url: 'postgres://app:[redacted]@db/app' });
    expect(await dbBytes()).not.toContain(VALUE);
  });
});
