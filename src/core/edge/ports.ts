import type { PortRange } from '../schemas/edge.js';

/**
 * Candidate tunnel ports in [min, max] not taken by another device at the same meeting point: a random start,
 * then upwards with wrap-around (random so two infrakt homes sharing a relay rarely pick the same port first).
 * `random` returns [0, 1).
 */
export function* tunnelPortCandidates(
  range: PortRange,
  taken: ReadonlySet<number>,
  random: () => number,
): Generator<number> {
  const size = range.max - range.min + 1;
  const start = Math.floor(random() * size);
  for (let i = 0; i < size; i++) {
    const port = range.min + ((start + i) % size);
    if (!taken.has(port)) yield port;
  }
}
