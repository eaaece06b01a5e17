import { StringDecoder } from 'node:string_decoder';
import type { RunOptions, StreamName } from '../../core/executor.js';
import { type Secret, scrub } from '../../core/secret.js';

/**
 * Collects a command's stdout/stderr, delivers complete lines as they arrive (streams kept apart,
 * secrets scrubbed), and returns the scrubbed text at the end. Shared by the ssh and local executors.
 */
export class OutputCapture {
  readonly #chunks: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  readonly #partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  readonly #decoders: Record<StreamName, StringDecoder> = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };
  readonly #onLine: RunOptions['onLine'];
  readonly #secrets: readonly Secret[];

  constructor(onLine: RunOptions['onLine'], secrets: readonly Secret[]) {
    this.#onLine = onLine;
    this.#secrets = secrets;
  }

  push(stream: StreamName, chunk: Buffer): void {
    this.#chunks[stream].push(chunk);
    if (!this.#onLine) return;
    const text = this.#partial[stream] + this.#decoders[stream].write(chunk);
    const lines = text.split('\n');
    this.#partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.#emit(stream, line);
  }

  #emit(stream: StreamName, line: string): void {
    try {
      this.#onLine?.(stream, scrub(line.replace(/\r$/, ''), this.#secrets));
    } catch {
      // A failing listener must not break the command it listens to.
    }
  }

  /** Flushes the last unterminated lines and returns the scrubbed output. */
  finish(): { stdout: string; stderr: string } {
    if (this.#onLine) {
      for (const s of ['stdout', 'stderr'] as const) {
        const rest = this.#partial[s] + this.#decoders[s].end();
        if (rest) this.#emit(s, rest);
        this.#partial[s] = '';
      }
    }
    return { stdout: this.text('stdout'), stderr: this.text('stderr') };
  }

  text(stream: StreamName): string {
    return scrub(Buffer.concat(this.#chunks[stream]).toString('utf8'), this.#secrets);
  }
}
