import { randomBytes } from 'node:crypto';

/** `j_` + base-36 time + random: unique, and sorts by creation time. */
export const newJobId = (): string => `j_${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;

/** Resolves after `ms`, or at once when the signal aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
