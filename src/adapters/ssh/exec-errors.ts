import { constants } from 'node:os';
import { InfraktError } from '../../core/errors.js';

/** Exit code for a process ended by a signal, as shells report it (128 + n). */
export function signalExitCode(signal: string | null | undefined): number {
  if (!signal) return 255;
  const name = (signal.startsWith('SIG') ? signal : `SIG${signal}`) as keyof typeof constants.signals;
  const n = constants.signals[name];
  return typeof n === 'number' ? 128 + n : 255;
}

export function timedOut(target: string, shown: string, ms: number): InfraktError {
  return new InfraktError('TIMEOUT', `command timed out after ${formatMs(ms)} on ${target} and was killed`, {
    hint: 'raise the timeout, or check what the command waits for on the server',
    details: { host: target, command: shown, timeoutMs: ms },
  });
}

export function cancelled(target: string, shown: string): InfraktError {
  return new InfraktError('CANCELLED', `command cancelled on ${target} (its processes were killed)`, {
    details: { host: target, command: shown },
  });
}

export function connectionLost(target: string, shown: string, why?: string): InfraktError {
  return new InfraktError(
    'SSH_UNREACHABLE',
    `connection to ${target} lost while running a command${why ? `: ${why}` : ''}`,
    {
      hint: 'the command may or may not have completed on the server; check its state and retry',
      details: { host: target, command: shown },
    },
  );
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s` : `${ms}ms`;
}

/** The persistent shell ended while it ran a command (killed, or the command ended it). */
export function shellLost(target: string, shown: string, why: string): InfraktError {
  return new InfraktError('SSH_UNREACHABLE', `the remote shell on ${target} ended while running a command: ${why}`, {
    hint: 'the command may or may not have completed on the server; check its state and retry (the next command gets a new shell)',
    details: { host: target, command: shown },
  });
}
