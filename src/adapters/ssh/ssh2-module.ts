import { createRequire } from 'node:module';

type Ssh2 = typeof import('ssh2');
let loaded: Ssh2 | undefined;

/**
 * ssh2, loaded on first use: its hundred-odd files (outside the bundle and its code cache: it has native parts)
 * cost every CLI start ~80 ms of compiling, and most commands never open a connection.
 */
export function ssh2(): Ssh2 {
  loaded ??= createRequire(import.meta.url)('ssh2') as Ssh2;
  return loaded;
}
