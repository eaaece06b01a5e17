// The ESP AES-GCM probe of `cluster create --encrypted`, run for real on this machine as root: it must say
// "cannot" exactly when this kernel refuses the ESP state, which the test finds out on its own first (the same
// `ip xfrm state add` in a namespace of the test's own), and it must leave no namespace behind.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/adapters/connect.js';
import { espGcmProbe, parseEspGcmProbe } from '../../src/core/commands/xfrm.js';
import { checkNode } from '../../src/services/clusters/node-check.js';

const IP = ['/usr/bin/ip', '/bin/ip', '/usr/sbin/ip', '/sbin/ip'].find(existsSync);
const available = process.getuid?.() === 0 && IP !== undefined;
if (!available && process.env.CI === 'true') throw new Error('the ESP probe test needs root and iproute2');

const ip = (args: string[]) => spawnSync(IP!, args, { encoding: 'utf8', timeout: 30_000 });
const namespaces = () => (ip(['netns', 'list']).stdout ?? '').split('\n').map((l) => l.split(' ')[0] ?? '');

/** This kernel's answer, found the way the issue states it, independently of infrakt's code. */
function kernelTakesEspGcm(): { can: boolean; said: string } {
  const ns = `ikt-espx-${randomBytes(4).toString('hex')}`;
  const add = ip(['netns', 'add', ns]);
  if (add.status !== 0) throw new Error(`ip netns add failed: ${add.stderr}`);
  try {
    const r = ip(
      ['-n', ns, 'xfrm', 'state', 'add', 'src', '127.0.0.2', 'dst', '127.0.0.3', 'proto', 'esp', 'spi', '0x100']
        .concat(['mode', 'transport', 'aead', 'rfc4106(gcm(aes))', '0x0102030405060708090a0b0c0d0e0f1011121314'])
        .concat(['128']),
    );
    return { can: r.status === 0, said: r.stderr.trim() };
  } finally {
    ip(['netns', 'del', ns]);
  }
}

describe.skipIf(!available)('ESP AES-GCM probe on this kernel', async () => {
  const kernel = available ? kernelTakesEspGcm() : { can: false, said: '' };
  console.log(
    `this kernel ${kernel.can ? 'takes' : 'refuses'} an ESP rfc4106(gcm(aes)) state${kernel.said ? `: ${kernel.said}` : ''}`,
  );
  const ex = await connect({
    name: 'here',
    host: 'local',
    port: 22,
    user: 'root',
    key_path: null,
    host_key: null,
    host_key_fingerprint: null,
  });
  afterAll(() => ex.close());

  it('says "cannot" exactly when the kernel refuses, with its words, and removes its namespace', async () => {
    const ns = `infrakt-esp-${randomBytes(6).toString('hex')}`;
    const t0 = Date.now();
    const r = await ex.run(espGcmProbe(ns));
    console.log(`probe: exit ${r.exitCode} in ${Date.now() - t0} ms`);
    const result = parseEspGcmProbe(r, 'root');
    if (kernel.can) {
      expect(result).toEqual({ ok: true });
    } else {
      expect(result).toEqual({
        ok: false,
        lacksEspGcm: true,
        reason: `its kernel refused an ESP rfc4106(gcm(aes)) state (${kernel.said.split('\n').at(-1)})`,
      });
    }
    expect(namespaces()).not.toContain(ns);
  });

  it("the create's node check gives the same answer in its one round trip with docker info", async () => {
    const before = namespaces().filter((n) => n.startsWith('infrakt-esp-'));
    const check = await checkNode(ex, 'root', { encrypted: true });
    expect(check.info.engineVersion).toMatch(/^\d+\.\d+/);
    expect(check.esp?.ok).toBe(kernel.can);
    expect(namespaces().filter((n) => n.startsWith('infrakt-esp-'))).toEqual(before);
  });
});
