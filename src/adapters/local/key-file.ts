import { closeSync, constants, fstatSync, openSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { InfraktError, validation } from '../../core/errors.js';
import { readRegularFile } from './bounded-file.js';

/** An SSH private key is a few KiB; anything bigger is not one (and is never read whole). */
export const MAX_KEY_BYTES = 64 * 1024;

const unreadable = (path: string, server?: string) =>
  new InfraktError('SSH_AUTH', `SSH key ${path}${server ? ` for ${server}` : ''} is missing or unreadable`, {
    hint: `give a readable private key file (a regular file of at most ${MAX_KEY_BYTES / 1024} KiB), or re-add the server with --key <path>`,
  });

/**
 * Reads a private key file without ever blocking the process: opened non-blocking (a FIFO or a device
 * would otherwise hang the reader, and with it the whole API), it must be a regular file of bounded size.
 * One error for every way it can fail, so the message never tells whether a path exists.
 */
export function readKeyFile(path: string, server?: string): Buffer {
  try {
    return readRegularFile(path, MAX_KEY_BYTES);
  } catch {
    throw unreadable(path, server);
  }
}

/**
 * The key path a server is registered with. The CLI keeps any path (a missing file is reported when
 * connecting) but refuses what is not a regular file. Over the API (`confineTo` = $INFRAKT_HOME/keys) only
 * a readable regular file inside that directory is accepted, named by its file name or full path; the
 * error is the same whether the file is missing, unreadable, or a link leading out of the directory.
 */
export function checkKeyPath(path: string, opts: { confineTo?: string } = {}): string {
  if (!opts.confineTo) {
    let st: ReturnType<typeof fstatSync> | null = null;
    try {
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      try {
        st = fstatSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      return path; // missing or unreadable now: the connection check says so
    }
    if (!st.isFile())
      throw validation(`--key ${path} is not a regular file`, 'give the path of an SSH private key file');
    return path;
  }
  const dir = opts.confineTo;
  const outside = validation(
    `keyPath must name a key file in ${dir}`,
    `copy the private key into ${dir} (0600) and pass its file name, or omit keyPath to use the ssh-agent`,
  );
  const candidate = isAbsolute(path) ? resolve(path) : resolve(join(dir, path));
  if (!candidate.startsWith(resolve(dir) + sep)) throw outside;
  const missing = validation(
    `keyPath ${path}: no readable key file of that name in ${dir}`,
    `copy the private key into ${dir} (0600) and pass its file name`,
  );
  let real: string;
  try {
    real = realpathSync(candidate);
    if (!real.startsWith(realpathSync(dir) + sep)) throw missing;
    readKeyFile(real);
  } catch {
    throw missing;
  }
  return candidate;
}
