/**
 * Splits one output stream of a persistent remote shell into the commands' own bytes and the
 * shell's markers. A marker is `<nonce><kind><fields>\n`, written by the shell in one write(2) of
 * less than PIPE_BUF bytes, so it is never split by a command's output, but it may sit in the middle
 * of a line (a pgid marker is printed while the command already runs). The nonce is 128 random bits
 * that no command can see (it is in no argv and no environment), so anything else, including text
 * that looks like a marker, binary data and output without a trailing newline, is the command's.
 */
export interface Marker {
  /** H hello (fields: shell pid), B begin (id), P process group (id pgid), E end (id status). */
  readonly kind: string;
  readonly fields: readonly string[];
}

export type Piece = { readonly data: Buffer } | { readonly marker: Marker };

// Longest marker tail after the nonce: kind, two decimal numbers and separators.
const MAX_MARKER_TAIL = 64;

export class FrameParser {
  readonly #nonce: Buffer;
  #pending = Buffer.alloc(0);

  constructor(nonce: string) {
    this.#nonce = Buffer.from(nonce, 'latin1');
  }

  /** Feeds a chunk; returns data and markers in stream order. A partial marker is held back. */
  push(chunk: Buffer): Piece[] {
    let buf = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);
    const out: Piece[] = [];
    for (;;) {
      const at = buf.indexOf(this.#nonce);
      if (at === -1) {
        const keep = this.#partialNonceAtEnd(buf);
        if (buf.length - keep > 0) out.push({ data: buf.subarray(0, buf.length - keep) });
        if (keep > 0) this.#pending = Buffer.from(buf.subarray(buf.length - keep));
        return out;
      }
      if (at > 0) out.push({ data: buf.subarray(0, at) });
      const start = at + this.#nonce.length;
      const nl = buf.indexOf(0x0a, start);
      if (nl === -1) {
        // The rest of the marker is in the next chunk (a write may be split across channel packets).
        if (buf.length - start > MAX_MARKER_TAIL) throw new Error('malformed marker from the remote shell');
        this.#pending = Buffer.from(buf.subarray(at));
        return out;
      }
      const text = buf.subarray(start, nl).toString('latin1');
      const kind = text.slice(0, 1);
      out.push({ marker: { kind, fields: text.slice(1).split(' ') } });
      buf = buf.subarray(nl + 1);
    }
  }

  /** Bytes held back because they might start a marker; at the end of the stream they are data. */
  flush(): Buffer {
    const rest = this.#pending;
    this.#pending = Buffer.alloc(0);
    return rest;
  }

  // Length of the longest suffix of buf that is a proper prefix of the nonce.
  #partialNonceAtEnd(buf: Buffer): number {
    const n = this.#nonce;
    for (let k = Math.min(n.length - 1, buf.length); k > 0; k--) {
      if (buf.subarray(buf.length - k).equals(n.subarray(0, k))) return k;
    }
    return 0;
  }
}
