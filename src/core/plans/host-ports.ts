/**
 * Loopback host ports infrakt hands out on a server. Each app release publishes its app port on a fixed port
 * chosen at deploy time (never a Docker-chosen one): after a daemon restart or a reboot the container comes back
 * on the same port, so the Caddy route recorded for it stays right. Databases get theirs the same way. Pure.
 */

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

// Both below Linux's ephemeral range (32768+), so outgoing connections never hold them, and disjoint, so a
// stopped release's recorded port is never handed to a database (or back).
export const DB_PORT_RANGE = { min: 15000, max: 19999 } as const satisfies PortRange;
export const RELEASE_PORT_RANGE = { min: 20000, max: 29999 } as const satisfies PortRange;

/**
 * A port of `range` not in `used`; `rand` in [0,1) picks where to start scanning, so concurrent choices on one
 * server rarely pick the same port. Null when the whole range is taken.
 */
export function pickFreePort(used: ReadonlySet<number>, rand: number, range: PortRange): number | null {
  const span = range.max - range.min + 1;
  const start = Math.min(span - 1, Math.max(0, Math.floor(rand * span)));
  for (let i = 0; i < span; i++) {
    const p = range.min + ((start + i) % span);
    if (!used.has(p)) return p;
  }
  return null;
}

/** `compose up` output when the chosen port was taken between the choice and the start. */
export const portTaken = (output: string): boolean => /port is already allocated|address already in use/i.test(output);
