// The ESP AES-GCM probe of `cluster create --encrypted`, run for real on this machine as root: it must say
// "cannot" exactly when this kernel refuses the ESP state, which the test finds out on its own first (the same
// `ip xfrm state add` in a namespace of the test's own), and it must leave no namespace behind.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/adapters/connect.js';
import { espGcmProbe, parseEspGcmProbe } from '../../src/core/commands/xfrm.js';
import { checkNode } from '../../src/services/clusters/node-check.js';
import { IP_BIN, kernelTakesEspGcm, netnsNames as namespaces } from '../harness/kernel-esp.js';

const available = process.getuid?.() === 0 && IP_BIN !== undefined;
if (!available && process.env.CI === 'true') throw new Error('the ESP probe test needs root and iproute2');

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
        reason: `its kernel refused an ESP rfc4106(gcm(aes)) state (${kernel.said})`,
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
