import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InfraktError } from '../core/errors.js';

/**
 * Writes a file that holds secrets: created 0600 from the start (never world-readable, not even for a moment),
 * complete or not at all (a temp file in the same directory, renamed over the target).
 */
export function writePrivateFile(path: string, content: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o600);
  } catch (e) {
    throw new InfraktError('VALIDATION', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    writeSync(fd, content);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new InfraktError('VALIDATION', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
