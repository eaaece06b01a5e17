// Whether this machine's kernel does IPsec ESP with AES-GCM (what Docker's encrypted overlay needs), found out
// the way issue 20 states it and independently of infrakt's own probe: one ESP state added in a network namespace
// made here for the purpose, then deleted. Needs root. The swarm lab's nodes share this kernel.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

export const IP_BIN = ['/usr/bin/ip', '/bin/ip', '/usr/sbin/ip', '/sbin/ip'].find(existsSync);

export const ip = (args: string[]) => spawnSync(IP_BIN ?? 'ip', args, { encoding: 'utf8', timeout: 30_000 });

/** Names of this machine's network namespaces (`ip netns list`). */
export const netnsNames = (): string[] =>
  (ip(['netns', 'list']).stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);

/** `can`: the kernel took the state; `said`: its error otherwise (e.g. "Error: Requested AEAD algorithm not found."). */
export function kernelTakesEspGcm(): { can: boolean; said: string } {
  const ns = `ikt-espx-${randomBytes(4).toString('hex')}`;
  const add = ip(['netns', 'add', ns]);
  if (add.status !== 0) throw new Error(`ip netns add failed: ${add.stderr}`);
  try {
    const r = ip(
      ['-n', ns, 'xfrm', 'state', 'add', 'src', '127.0.0.2', 'dst', '127.0.0.3', 'proto', 'esp', 'spi', '0x100']
        .concat(['mode', 'transport', 'aead', 'rfc4106(gcm(aes))', '0x0102030405060708090a0b0c0d0e0f1011121314'])
        .concat(['128']),
    );
    return { can: r.status === 0, said: r.stderr.trim().split('\n').at(-1) ?? '' };
  } finally {
    ip(['netns', 'del', ns]);
  }
}
