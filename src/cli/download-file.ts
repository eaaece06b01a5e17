import { existsSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DownloadSink } from '../services/databases/backups.js';

/**
 * A download target on this machine: chunks go to `<path>.part` (0600), renamed into place only once the
 * checksum matched, removed on any failure. `dest` may be a directory (the remote file name is kept).
 */
export function fileSink(dest: string): (file: string) => Promise<DownloadSink> {
  return async (file) => {
    const path = existsSync(dest) && statSync(dest).isDirectory() ? join(dest, basename(file)) : dest;
    const part = `${path}.part`;
    const fh = await open(part, 'w', 0o600);
    let closed = false;
    const close = async () => {
      if (!closed) await fh.close();
      closed = true;
    };
    return {
      async write(chunk) {
        await fh.write(chunk);
      },
      async commit() {
        await close();
        await rename(part, path);
        return path;
      },
      async abort() {
        await close();
        await rm(part, { force: true });
      },
    };
  };
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** A one-line progress bar on a terminal (stderr); nothing otherwise. */
export function progressBar(label: string, out: NodeJS.WriteStream | null = process.stderr) {
  if (!out?.isTTY || process.env.TERM === 'dumb') return { update: () => {}, done: () => {} };
  let last = -1;
  return {
    update(done: number, total: number) {
      const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
      if (pct === last) return;
      last = pct;
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      out.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${mib(done)} / ${mib(total)}`);
    },
    done() {
      if (last >= 0) out.write('\n');
    },
  };
}
