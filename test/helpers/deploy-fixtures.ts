import type { Principal } from '../../src/core/access.js';

/**
 * `ss -ltn` output in which every loopback port from 20000 to 29999 listens but `free`: a recording executor's
 * answer that makes a deploy choose exactly those ports for its release.
 */
export const ssAllBut = (...free: number[]): string =>
  Array.from({ length: 10000 }, (_, i) => 20000 + i)
    .filter((p) => !free.includes(p))
    .map((p) => `LISTEN 0 4096 127.0.0.1:${p} 0.0.0.0:*`)
    .join('\n');

/** A CI token at deploy level with no server or app limit. */
export const deployer: Principal = {
  kind: 'token',
  id: 'token:ci',
  name: 'token ci',
  level: 'deploy',
  servers: null,
  apps: null,
};
