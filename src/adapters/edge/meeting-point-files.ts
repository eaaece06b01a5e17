import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { InfraktError } from '../../core/errors.js';
import { readRegularFile } from '../local/bounded-file.js';
import { hostKeyFromLine } from '../ssh/host-key.js';

/** `$INFRAKT_HOME/edge/authorized_keys`: the control host's dedicated file, read by sshd through `cat`. */
export const controlKeysFile = (home: string): string => join(home, 'edge', 'authorized_keys');

/** Writes the dedicated authorized_keys atomically (0600 in a 0700 directory), so sshd never reads half a file. */
export function writeKeysFile(path: string, content: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  else if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  const tmp = join(dir, `.authorized_keys.${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(tmp, content, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new InfraktError('STATE', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

export const DEFAULT_HOST_KEY_FILES = ['ed25519', 'ecdsa', 'rsa'].map((t) => `/etc/ssh/ssh_host_${t}_key.pub`);

/**
 * Host public keys of this machine's sshd (what devices dialling the control host pin), as `<type> <base64>`.
 * Explicit files must all be readable keys; the default set takes those that exist.
 */
export function readHostKeyFiles(files?: readonly string[]): string[] {
  const explicit = files !== undefined && files.length > 0;
  const out: string[] = [];
  for (const f of explicit ? files : DEFAULT_HOST_KEY_FILES) {
    let text: string;
    try {
      text = readRegularFile(f, 16 * 1024).toString('utf8');
    } catch {
      if (explicit) throw new InfraktError('VALIDATION', `cannot read host key file ${f}`);
      continue;
    }
    const info = hostKeyFromLine(text.trim().split(/\s+/).slice(0, 2).join(' '));
    if (!info) throw new InfraktError('VALIDATION', `${f} is not an SSH public key`);
    out.push(info.line);
  }
  if (out.length === 0) {
    throw new InfraktError('STATE', 'no sshd host key found on this machine (/etc/ssh/ssh_host_*_key.pub)', {
      hint: 'install and start openssh-server, or name the public key files with --host-key-file',
    });
  }
  return out;
}

/** Whether nothing listens on 127.0.0.1:port right now (a tunnel port must be free at the control host). */
export function loopbackPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The account this process runs as: sshd runs `cat` on infrakt's keys file as this user. */
export function currentUser(): string {
  return userInfo().username;
}
