// Edge servers in infrakt.yaml, against a real SQLite state: `export` writes them as edge servers (relay, device
// port, pinned host key; never their tunnel's 127.0.0.1:PORT), `plan` on that file shows no changes, and a file
// asking for what apply cannot do to a tunnel (create one, change its key, relay or port, or turn a plain server
// into an edge server) is refused at its line before anything runs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { addEdgeServer } from '../../src/services/edge/devices.js';
import { setupEdgeControl } from '../../src/services/edge/setup.js';
import { exportInventory } from '../../src/services/inventory/export.js';
import { planInventory } from '../../src/services/inventory/plan.js';
import { registerServer } from '../../src/services/servers/servers.js';
import { openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

let dir: string;
let state: TestState;

beforeEach(async () => {
  dir = tempDir('ikt-test-edge-inv-');
  state = openTestState(join(dir, 'home'));
  const hostKey = join(dir, 'ssh_host_ed25519_key.pub');
  writeFileSync(hostKey, `${utils.generateKeyPairSync('ed25519').public}\n`);
  await setupEdgeControl(state.ctx, { endpoint: 'ctl.example.com:22', ports: '40000-49999', hostKeyFiles: [hostKey] });
});
afterEach(async () => {
  await state.close();
  removeDir(dir);
});

// biome-ignore lint/suspicious/noExplicitAny: the exported file is checked by assertions
type Yaml = any;
const fileOf = (data: Yaml, name = 'infrakt.yaml') => {
  const f = join(dir, name);
  writeFileSync(f, stringify(data));
  return f;
};
const plan = (file: string) => planInventory(state.ctx, file, { live: false });

describe('edge servers in infrakt.yaml', () => {
  it('export writes an edge server as one, and plan on that file shows no changes', async () => {
    const added = await addEdgeServer(state.ctx, { name: 'pi-1', devicePort: 2200, user: 'pi', root: '/srv/infrakt' });
    await registerServer(state.ctx, { name: 'web', host: '203.0.113.5' });
    const { yaml } = await exportInventory(state.ctx);
    const data = parse(yaml);
    // The key infrakt pinned for the device, as `<type> <base64>`.
    const row = await state.ctx.store.db
      .selectFrom('servers')
      .select(['host_key', 'host_key_fingerprint'])
      .where('name', '=', 'pi-1')
      .executeTakeFirstOrThrow();
    expect(row.host_key_fingerprint).toBe(added.hostKeyFingerprint);
    const hostKey = row.host_key?.split(/\s+/).slice(0, 2).join(' ');
    expect(hostKey).toMatch(/^[a-z0-9-]+ AAAA[A-Za-z0-9+/]+=*$/);
    expect(data.servers['pi-1']).toEqual({
      edge: { devicePort: 2200, hostKey },
      user: 'pi',
      root: '/srv/infrakt',
    });
    expect(data.servers.web).toEqual({ host: '203.0.113.5' });
    const f = join(dir, 'exported.yaml');
    writeFileSync(f, yaml);
    const r = await plan(f);
    expect(r.plan.changes).toEqual([]);
    // Settings a file may change on an edge server are still compared (its tunnel is not).
    data.servers['pi-1'].user = 'root';
    const changed = await plan(fileOf(data));
    expect(changed.plan.changes.map((c) => [c.action, c.name, c.fields.map((x) => x.field)])).toEqual([
      ['update', 'pi-1', ['user']],
    ]);
  });

  it('refuses, at the line, what apply cannot do to a tunnel', async () => {
    await addEdgeServer(state.ctx, { name: 'pi-1' });
    await registerServer(state.ctx, { name: 'web', host: '203.0.113.5' });
    const base = parse((await exportInventory(state.ctx)).yaml);
    const other = `ssh-ed25519 ${utils.generateKeyPairSync('ed25519').public.split(/\s+/)[1]}`;
    const cases: [string, (d: Yaml) => void, RegExp][] = [
      ['another host key', (d) => (d.servers['pi-1'].edge.hostKey = other), /edge\.hostKey differs/],
      ['another device port', (d) => (d.servers['pi-1'].edge.devicePort = 2222), /edge\.devicePort differs/],
      ['a relay it does not use', (d) => (d.servers['pi-1'].edge.relay = 'r1'), /edge\.relay differs/],
      [
        'an edge server not registered',
        (d) => (d.servers['pi-2'] = { edge: { hostKey: other } }),
        /not registered here/,
      ],
      ['a plain server as edge', (d) => (d.servers.web = { edge: { hostKey: other } }), /not as an edge server/],
      ['an edge server as plain', (d) => (d.servers['pi-1'] = { host: '127.0.0.1' }), /is an edge server here/],
    ];
    for (const [what, edit, message] of cases) {
      const d = structuredClone(base);
      edit(d);
      const err = await plan(fileOf(d)).then(
        () => null,
        (e: { code: string; message: string }) => e,
      );
      expect({ what, code: err?.code }).toEqual({ what, code: 'VALIDATION' });
      expect(err?.message).toMatch(message);
      expect(err?.message).toMatch(/infrakt\.yaml:\d+/);
    }
  });

  it('the schema: exactly one of host, provider or edge; no port or fingerprint beside edge', async () => {
    const key = `ssh-ed25519 ${utils.generateKeyPairSync('ed25519').public.split(/\s+/)[1]}`;
    for (const [server, message] of [
      [{ host: '203.0.113.5', edge: { hostKey: key } }, /exactly one of host/],
      [{ edge: { hostKey: key }, port: 2222 }, /takes no port or fingerprint/],
      [{ edge: { hostKey: 'ssh-ed25519 not base64!' } }, /SSH public key/],
      [{ edge: { hostKey: key, tunnelPort: 20001 } }, /tunnelPort/],
    ] as const) {
      await expect(plan(fileOf({ version: 1, servers: { pi: server } }))).rejects.toThrow(message);
    }
  });
});
