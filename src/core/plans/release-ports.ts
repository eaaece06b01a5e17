/**
 * Host ports of app releases. Each release publishes its app port on a fixed loopback port chosen at deploy
 * time (never a Docker-chosen one): after a daemon restart or a reboot the container comes back on the same
 * port, so the Caddy route recorded for it stays right. Pure.
 */

/** Below Linux's ephemeral range (32768+), so outgoing connections never hold them. */
export const RELEASE_PORT_RANGE = { min: 20000, max: 29999 } as const;

/** Ports in use from `ss -Htan` output (local address column) plus `docker ps --format {{.Ports}}` mappings. */
export function listeningPorts(ssOutput: string, dockerPorts: string): Set<number> {
  const used = new Set<number>();
  for (const line of ssOutput.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const m = local ? /:(\d+)$/.exec(local) : null;
    if (m) used.add(Number(m[1]));
  }
  for (const m of dockerPorts.matchAll(/:(\d+)->/g)) used.add(Number(m[1]));
  return used;
}

/**
 * A port of `range` not in `used`; `rand` in [0,1) picks where to start scanning, so concurrent deploys on one
 * server rarely pick the same port. Null when the whole range is taken.
 */
export function pickReleasePort(
  used: ReadonlySet<number>,
  rand: number,
  range: { min: number; max: number } = RELEASE_PORT_RANGE,
): number | null {
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
