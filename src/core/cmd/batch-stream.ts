import type { BatchResult } from './batch.js';

export interface BatchStreamHandlers {
  /** A line a part printed on stdout, as it arrives (for live job logs). */
  onLine?(part: string, line: string): void;
  /** A part's end frame arrived: its status and stdout (lines joined, without the frame's own newline). */
  onEnd?(part: string, result: BatchResult): void;
}

/**
 * Reads a `batch()` script's stdout line by line as it runs, so that each part's result is known the moment
 * its end frame arrives rather than when the whole script ends (a deploy reports "start new release" done while
 * the same script goes on to wait for health). Line-based: a part's output without a trailing newline ends
 * up on the line before the frame, the same text as `parseBatch` gives.
 */
export class BatchStream {
  readonly #begin: string;
  readonly #end: string;
  readonly #h: BatchStreamHandlers;
  #part: string | null = null;
  #lines: string[] = [];

  constructor(nonce: string, handlers: BatchStreamHandlers) {
    this.#begin = `${nonce}:begin:`;
    this.#end = `${nonce}:end:`;
    this.#h = handlers;
  }

  /** The part running now (its begin frame seen, its end not yet). */
  get current(): string | null {
    return this.#part;
  }

  line(line: string): void {
    if (line.startsWith(this.#begin)) {
      this.#part = line.slice(this.#begin.length);
      this.#lines = [];
      return;
    }
    if (this.#part === null) return;
    // The end frame starts on a line of its own: the batch prints a newline before it.
    if (line.startsWith(this.#end) && /^\d+$/.test(line.slice(this.#end.length))) {
      const name = this.#part;
      // The newline printed before the frame leaves an empty last line when the output ended with one.
      const lines = this.#lines.at(-1) === '' ? this.#lines.slice(0, -1) : this.#lines;
      const stdout = lines.length === 0 ? '' : `${lines.join('\n')}${lines === this.#lines ? '' : '\n'}`;
      this.#part = null;
      this.#lines = [];
      this.#h.onEnd?.(name, { exitCode: Number(line.slice(this.#end.length)), stdout });
      return;
    }
    this.#lines.push(line);
    this.#h.onLine?.(this.#part, line);
  }
}
