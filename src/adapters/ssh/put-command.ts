import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Cmd } from '../../core/cmd/index.js';
import { and, exec, or, sudo, toFile } from '../../core/cmd/index.js';

/**
 * Atomic write: content arrives on stdin into a temp file (umask 077, so it is never readable by
 * others), gets its mode, then `mv` replaces the target in one rename. Without a mode the old
 * file's mode is kept (0600 for secrets, else 0644 for new files).
 */
export function putCommand(path: string, mode: number | undefined, secretContent: boolean, asRoot: boolean): Cmd {
  const dir = posix.dirname(path);
  const tmp = posix.join(dir, `.${posix.basename(path)}.infrakt-${randomBytes(6).toString('hex')}`);
  const octal = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');
  const chmod =
    mode !== undefined
      ? exec('chmod', octal(mode), tmp)
      : or(
          and(exec('test', '-e', path), exec('chmod', `--reference=${path}`, tmp)),
          exec('chmod', secretContent ? '0600' : '0644', tmp),
        );
  const write = or(
    and(exec('umask', '077'), toFile(exec('cat'), tmp), chmod, exec('mv', '-f', '--', tmp, path)),
    and(exec('rm', '-f', tmp), exec('false')),
  );
  return asRoot ? sudo(write) : write;
}
