import { InfraktError } from '../core/errors.js';
import type { ProbeResult } from '../core/schemas/views/servers.js';
import { c, printJson, success } from './output.js';

const PROBE_LABEL: Record<ProbeResult['status'], string> = {
  ok: 'ok',
  unreachable: 'unreachable',
  auth_failed: 'auth failed',
  host_key_mismatch: 'host key mismatch',
};

/** Prints a probe outcome; a failed probe becomes the error it was (exit code per error class). */
export function reportProbe(p: ProbeResult, mode: 'human' | 'json' | 'quiet'): void {
  if (mode === 'json') printJson(p);
  if (p.status === 'ok') {
    if (mode === 'human') {
      const key = p.fingerprint ? `host key ${p.fingerprint}${p.pinned ? ' (pinned now)' : ''}` : 'no host key (local)';
      success(`${c.bold(p.server)} ok in ${p.durationMs}ms — ${key}${p.system ? `, ${p.system}` : ''}`);
    }
    return;
  }
  const err = p.error;
  // No host key seen means nothing reached the server: a credentials problem found before connecting (no key,
  // no agent, an unreadable key) is not an authentication the server refused.
  const beforeConnecting = p.status === 'auth_failed' && p.fingerprint === null;
  throw new InfraktError(
    (err?.code as InfraktError['code']) ?? 'SSH_UNREACHABLE',
    `${p.server}: ${beforeConnecting ? '' : `${PROBE_LABEL[p.status]} — `}${err?.message ?? 'connection failed'}`,
    { hint: err?.hint },
  );
}
