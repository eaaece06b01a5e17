import { randomBytes } from 'node:crypto';
import { type BatchPart, type BatchResult, BatchStream, batch, type Cmd } from '../../core/cmd/index.js';
import type { Executor, RunResult, Stdin, StreamName } from '../../core/executor.js';
import type { Secret } from '../../core/secret.js';

/** A `batch()` script running on a server, whose parts' results arrive one by one while it runs. */
export interface FramedScript {
  readonly script: Cmd;
  /**
   * The part's result once its end frame arrived; null when the script ended without it (skipped after a
   * failed part, or the script died). Rejects when the run itself failed (cancelled, connection lost).
   */
  part(name: string): Promise<BatchResult | null>;
  /** Whether the script has this part at all. */
  has(name: string): boolean;
  /** The whole run (stderr of every part is here). */
  readonly done: Promise<RunResult>;
}

/**
 * Starts `parts` as one script (one round trip) and hands out each part's result as soon as its frame ends,
 * so that several job steps can each report their own part of one script, with true timings. `onLine` gets
 * every line a part prints (stdout and stderr, with the part running then), for live job logs.
 */
export function startFramed(
  ex: Executor,
  parts: readonly BatchPart[],
  o: {
    stdin?: Stdin;
    signal?: AbortSignal;
    secrets?: readonly Secret[];
    onLine?: (part: string | null, line: string, stream: StreamName) => void;
  } = {},
): FramedScript {
  const nonce = randomBytes(12).toString('hex');
  const script = batch(parts, nonce);
  const results = new Map<string, BatchResult>();
  const waiting = new Map<string, ((r: BatchResult | null) => void)[]>();
  let ended: { error: unknown } | null = null;
  const stream = new BatchStream(nonce, {
    onLine: (part, line) => o.onLine?.(part, line, 'stdout'),
    onEnd: (part, r) => {
      results.set(part, r);
      for (const w of waiting.get(part) ?? []) w(r);
      waiting.delete(part);
    },
  });
  const done = ex.run(script, {
    ...(o.stdin !== undefined ? { stdin: o.stdin } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.secrets ? { secrets: [...o.secrets] } : {}),
    onLine: (s, line) => (s === 'stdout' ? stream.line(line) : o.onLine?.(stream.current, line, 'stderr')),
  });
  const settle = (error: unknown) => {
    ended = { error };
    for (const [name, ws] of waiting) for (const w of ws) w(results.get(name) ?? null);
    waiting.clear();
  };
  done.then(
    () => settle(null),
    (e) => settle(e ?? new Error('the script failed')),
  );
  const names = new Set(parts.map((p) => p.name));
  return {
    script,
    done,
    has: (name) => names.has(name),
    part: async (name) => {
      const known = results.get(name);
      if (known) return known;
      if (!ended)
        await new Promise<BatchResult | null>((resolve) => waiting.set(name, [...(waiting.get(name) ?? []), resolve]));
      const r = results.get(name);
      if (r) return r;
      if (ended && (ended as { error: unknown }).error) throw (ended as { error: unknown }).error;
      return null;
    },
  };
}
