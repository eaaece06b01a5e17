import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InfraktError } from '../../core/errors.js';
import { readKeyFile } from '../local/key-file.js';
import { ssh2 } from './ssh2-module.js';

export interface SshAuth {
  readonly privateKey?: Buffer;
  readonly passphrase?: string;
  readonly agent?: string;
  /** What we authenticate with, for messages (never key material). */
  readonly describe: string;
}

export interface AuthSource {
  /** Key file from the server row (`--key`); null means ssh-agent, then ~/.ssh/id_* . */
  readonly keyPath: string | null;
  /** SSH_AUTH_SOCK */
  readonly agentSocket?: string | undefined;
  /** INFRAKT_SSH_PASSPHRASE: unlocks a passphrase-protected key without a prompt. */
  readonly passphrase?: string | undefined;
  readonly home?: string;
}

export const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

function loadKey(path: string, src: AuthSource, server: string): SshAuth {
  // Non-blocking, regular files only, size-bounded: a FIFO given as a key must not hang the process.
  const data = readKeyFile(path, server);
  const parsed = ssh2().utils.parseKey(data, src.passphrase);
  if (parsed instanceof Error) {
    const encrypted = /passphrase|encrypted/i.test(parsed.message);
    if (encrypted && !src.passphrase && src.agentSocket) {
      // The agent may hold the unlocked key (ssh-add): let it sign instead.
      return { agent: src.agentSocket, describe: `ssh-agent (${path} is passphrase-protected)` };
    }
    if (encrypted) {
      throw new InfraktError(
        'SSH_AUTH',
        src.passphrase
          ? `the passphrase in INFRAKT_SSH_PASSPHRASE does not unlock ${path}`
          : `SSH key ${path} is passphrase-protected`,
        {
          hint: 'load it into ssh-agent (ssh-add <key>, with SSH_AUTH_SOCK set) or set INFRAKT_SSH_PASSPHRASE',
        },
      );
    }
    throw new InfraktError('SSH_AUTH', `cannot use SSH key ${path}: ${parsed.message}`, {
      hint: 'use an OpenSSH private key (ed25519, ecdsa or rsa)',
    });
  }
  return {
    privateKey: data,
    ...(src.passphrase ? { passphrase: src.passphrase } : {}),
    ...(src.agentSocket ? { agent: src.agentSocket } : {}),
    describe: `key ${path}`,
  };
}

/** Picks the credentials: the server's key file, else ssh-agent, else the usual ~/.ssh keys. */
export function resolveAuth(src: AuthSource, server: string): SshAuth {
  if (src.keyPath) return loadKey(src.keyPath, src, server);
  if (src.agentSocket) return { agent: src.agentSocket, describe: 'ssh-agent' };
  const sshDir = join(src.home ?? homedir(), '.ssh');
  for (const name of DEFAULT_KEYS) {
    const p = join(sshDir, name);
    if (existsSync(p)) return loadKey(p, src, server);
  }
  throw new InfraktError('SSH_AUTH', `no SSH key or ssh-agent is available to log in to ${server}; nothing was tried`, {
    hint: 'pass --key <path> (server add), or start ssh-agent (SSH_AUTH_SOCK) with your key loaded (ssh-add)',
  });
}
