import { InfraktError } from '../../core/errors.js';
import type { JobSpec } from '../../core/jobs.js';
import { isSecret } from '../../core/secret.js';
import type { StoredError } from './finalize.js';
import type { LiveJob } from './job-context.js';
import { checkLockName } from './locks.js';

const MAX_RESULT = 64 * 1024;

/** Rejects a spec before anything is written: params are stored, so they must hold no Secret. */
export function checkSpec(spec: JobSpec): void {
  if (!spec.kind?.trim() || !spec.target?.trim()) {
    throw new InfraktError('VALIDATION', 'a job needs a kind and a target');
  }
  const path = findSecret(spec.params ?? {}, 'params');
  if (path) {
    throw new InfraktError('VALIDATION', `job ${spec.kind}: ${path} is a secret; job params are stored in plain text`, {
      hint: 'pass secrets to the job body directly and register them with job.addSecrets()',
    });
  }
  for (const name of spec.locks ?? []) checkLockName(name);
}

function findSecret(v: unknown, path: string, depth = 0): string | null {
  if (isSecret(v)) return path;
  if (depth > 20 || v === null || typeof v !== 'object') return null;
  for (const [k, child] of Object.entries(v)) {
    const found = findSecret(child, Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/** The job result as stored: JSON (Secrets print `[redacted]`), scrubbed, size-capped. */
export function resultJson(value: unknown, job: LiveJob): string | null {
  if (value === undefined) return null;
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'null';
  } catch {
    return null;
  }
  text = job.scrub(text);
  return text.length > MAX_RESULT ? JSON.stringify({ truncated: true, bytes: text.length }) : text;
}

// Errors raised inside a job may point at `infrakt job logs <id>` before the id is known to them.
const fillId = (hint: string, id: string) => hint.replaceAll('infrakt job logs <id>', `infrakt job logs ${id}`);

export function storedError(err: InfraktError, job: LiveJob): StoredError {
  return {
    code: err.code,
    message: job.scrub(err.message),
    hint: err.hint ? fillId(job.scrub(err.hint), job.id) : undefined,
  };
}

/** The error `run` and `done` reject with: the job's error, scrubbed, with `details.jobId`. */
export function jobError(err: InfraktError, jobId: string, job: LiveJob): InfraktError {
  const details: Record<string, unknown> = { ...(err.details ?? {}) };
  for (const [k, v] of Object.entries(details)) if (typeof v === 'string') details[k] = job.scrub(v);
  details.jobId = jobId;
  const message = job.scrub(err.message);
  return new InfraktError(err.code, message, {
    hint: err.hint ? fillId(job.scrub(err.hint), jobId) : undefined,
    details,
    // The original may carry secret text in its message or stack: only keep it when nothing was scrubbed.
    cause: message === err.message ? (err.cause ?? err) : undefined,
  });
}
