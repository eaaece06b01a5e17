import { InfraktError } from '../../core/errors.js';
import type { HostKeyInfo } from './host-key.js';

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'EADDRNOTAVAIL',
]);

export interface ConnectFailure {
  readonly target: string;
  readonly server: string;
  readonly auth: string;
  /** The key the server presented, when the handshake got that far. */
  readonly presented: HostKeyInfo | null;
  readonly mismatch: { expected: string; presented: HostKeyInfo } | null;
}

/** Maps whatever ssh2/net threw while connecting onto our stable codes. */
export function mapConnectError(e: unknown, f: ConnectFailure): InfraktError {
  if (e instanceof InfraktError) return e;
  const err = e as Error & { code?: string; level?: string };
  // The presented public key is not secret; trust/probe pin it from here when authentication failed.
  const details = {
    host: f.target,
    ...(f.presented ? { presentedFingerprint: f.presented.fingerprint, presentedKey: f.presented.line } : {}),
  };
  if (f.mismatch) {
    return new InfraktError(
      'HOST_KEY_MISMATCH',
      `host key of ${f.server} (${f.target}) changed: expected ${f.mismatch.expected}, got ${f.mismatch.presented.fingerprint}. Nothing was sent to it.`,
      {
        hint: `if the server was really reinstalled, verify the new fingerprint out of band, then run: infrakt server trust ${f.server}`,
        details: {
          ...details,
          expectedFingerprint: f.mismatch.expected,
          presentedFingerprint: f.mismatch.presented.fingerprint,
          presentedKey: f.mismatch.presented.line,
        },
      },
    );
  }
  if (err.level === 'client-authentication') {
    return new InfraktError('SSH_AUTH', `authentication to ${f.server} (${f.target}) failed with ${f.auth}`, {
      hint: 'check the user and that the public key is in the server’s authorized_keys (server add --key <path>)',
      details,
      cause: e,
    });
  }
  if (err.level === 'client-timeout' || err.level === 'client-dns' || (err.code && UNREACHABLE_CODES.has(err.code))) {
    const why =
      err.code === 'ECONNREFUSED'
        ? 'connection refused'
        : err.level === 'client-dns' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
          ? 'host name does not resolve'
          : err.level === 'client-timeout' || err.code === 'ETIMEDOUT'
            ? 'timed out'
            : (err.code ?? err.message);
    return new InfraktError('SSH_UNREACHABLE', `cannot reach ${f.server} (${f.target}): ${why}`, {
      hint: 'check the host, the port and that sshd is running and reachable from here',
      details,
      cause: e,
    });
  }
  return new InfraktError('SSH_UNREACHABLE', `SSH connection to ${f.server} (${f.target}) failed: ${err.message}`, {
    hint: 'check that the port speaks SSH and sshd accepts connections',
    details,
    cause: e,
  });
}
