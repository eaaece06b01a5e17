import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A random token per process. Pids are reused (a CLI in a container is often pid 1 every run),
 * so `pid + host` alone cannot tell a previous process from this one; the token can.
 */
const PROCESS_TOKEN = randomBytes(4).toString('hex');

export const defaultRunner = (): string => `pid ${process.pid} on ${hostname()}`;

/** The runner label stored on jobs and locks: `pid 123 on laptop #1a2b3c4d`. */
export function runnerLabel(base: string = defaultRunner()): string {
  // Crash recovery needs pid + host: add them to a custom label that lacks them.
  const label = parseRunner(base) ? base : `${base} (${defaultRunner()})`;
  return `${label} #${PROCESS_TOKEN}`;
}

/** The label without the process token, for people. */
export const displayRunner = (label: string): string => label.replace(/ #[0-9a-f]{8}\b/g, '');

export interface RunnerId {
  pid: number;
  host: string;
  token: string | null;
}

export function parseRunner(label: string | null | undefined): RunnerId | null {
  if (!label) return null;
  const m = /\bpid (\d+) on ([^\s,()#]+)/.exec(label);
  if (!m) return null;
  const t = /#([0-9a-f]{8})\b/.exec(label);
  return { pid: Number(m[1]), host: m[2] as string, token: t ? (t[1] as string) : null };
}

export type Liveness = 'alive' | 'dead' | 'unknown';

/**
 * Whether the process named by a runner label still runs. Only answerable for this host;
 * another machine's process is `unknown` (reported, breakable explicitly, never auto-released).
 */
export function liveness(label: string | null | undefined): Liveness {
  const id = parseRunner(label);
  if (!id || id.host !== hostname()) return 'unknown';
  if (id.pid === process.pid) return id.token === null || id.token === PROCESS_TOKEN ? 'alive' : 'dead';
  try {
    process.kill(id.pid, 0);
    return 'alive';
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'dead';
  }
}
