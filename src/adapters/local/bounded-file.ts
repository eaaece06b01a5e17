import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export type UnreadableReason = 'unreadable' | 'not-a-file' | 'too-large';

/** Why readRegularFile refused a path (the caller words the message for its user). */
export class UnreadableFile extends Error {
  constructor(readonly reason: UnreadableReason) {
    super(reason);
  }
}

/**
 * Reads a local file the user named without ever blocking or exhausting memory: opened non-blocking (a FIFO
 * or a device would otherwise hang the reader), it must be a regular file of at most `maxBytes`.
 */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    throw new UnreadableFile('unreadable');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnreadableFile('not-a-file');
    if (st.size > maxBytes) throw new UnreadableFile('too-large');
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } catch (e) {
    if (e instanceof UnreadableFile) throw e;
    throw new UnreadableFile('unreadable');
  } finally {
    closeSync(fd);
  }
}
