// POST /api/edge/servers against a real SQLite state and the control host's real keys file: the same service as
// `server add --edge`, the bootstrap script returned once, and every bad request answered with an error that
// changes nothing (no row, no key line, no audit event).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setupEdgeControl } from '../../src/services/edge/setup.js';
import { dumpTables } from '../helpers/state.js';
import { type ApiFixture, apiFixture, body } from './api-fixture.js';

let f: ApiFixture;
beforeEach(() => {
  f = apiFixture();
});
afterEach(async () => {
  await f.cleanup();
});

const keysFile = () => join(f.home, 'edge', 'authorized_keys');
const add = (json: unknown) => f.req('/api/edge/servers', { method: 'POST', json });

async function setupControl(): Promise<void> {
  const hostKey = join(f.home, 'ssh_host_ed25519_key.pub');
  writeFileSync(hostKey, `${utils.generateKeyPairSync('ed25519').public}\n`);
  await setupEdgeControl(f.ctx, { endpoint: 'ctl.example.com:2222', ports: '40000-49999', hostKeyFiles: [hostKey] });
}

/** infrakt's login key where the API accepts key files: $INFRAKT_HOME/keys. */
function loginKey(): { file: string; publicKey: string } {
  const pair = utils.generateKeyPairSync('ed25519');
  mkdirSync(f.ctx.paths.keys, { recursive: true, mode: 0o700 });
  const file = join(f.ctx.paths.keys, 'id_edge');
  writeFileSync(file, pair.private, { mode: 0o600 });
  writeFileSync(`${file}.pub`, `${pair.public}\n`);
  return { file, publicKey: pair.public.trim().split(/\s+/).slice(0, 2).join(' ') };
}

/** Every table but the audit log: refused requests are audited by design (issue 15), and change nothing else. */
function stateRows(): Record<string, unknown[]> {
  const { audit_events: _audited, ...rest } = dumpTables(f.ctx.store.raw!);
  return rest;
}

describe('POST /api/edge/servers', () => {
  it('registers the device, authorises its tunnel key and returns the bootstrap script this once', async () => {
    await setupControl();
    const key = loginKey();
    const res = await add({ name: 'pi-1', keyPath: 'id_edge', devicePort: 2200 });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/servers/pi-1');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const b = await body(res);
    expect(b.server).toMatchObject({ name: 'pi-1', host: '127.0.0.1', port: b.tunnelPort });
    expect(b.server.edge).toMatchObject({ relay: null, tunnelPort: b.tunnelPort, deviceSshPort: 2200 });
    expect(b.server.edge.tunnel).toBe('waiting');
    expect(b.server.hostKeyFingerprint).toBe(b.hostKeyFingerprint);
    expect(b.loginKeyIncluded).toBe(true);
    expect(b.bootstrap).toMatch(/^#!\/bin\/sh/);
    expect(b.bootstrap).toContain('BEGIN OPENSSH PRIVATE KEY');
    expect(b.bootstrap).toContain(key.publicKey);
    expect(readFileSync(keysFile(), 'utf8')).toContain(`permitlisten="127.0.0.1:${b.tunnelPort}"`);
    // Only this answer carries the script: the server's own view and the list do not.
    const again = JSON.stringify(await body(await f.req('/api/servers/pi-1')));
    const list = JSON.stringify(await body(await f.req('/api/servers')));
    for (const text of [again, list]) expect(text).not.toContain('PRIVATE KEY');
    expect(JSON.parse(list)[0].edge.tunnel).toBe('waiting');
  });

  it('bad input changes nothing: invalid fields, a key file outside $INFRAKT_HOME/keys, an unknown relay, a taken name', async () => {
    await setupControl();
    expect((await add({ name: 'pi-1' })).status).toBe(201);
    const keysBefore = readFileSync(keysFile(), 'utf8');
    const before = stateRows();
    const outside = join(f.home, 'elsewhere_key');
    writeFileSync(outside, utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
    const cases: [unknown, number, string, RegExp][] = [
      [{ name: 'Bad Name!' }, 400, 'VALIDATION', /name/],
      [{ name: 'pi-2', devicePort: 70000 }, 400, 'VALIDATION', /devicePort/],
      [{ name: 'pi-2', user: 'root; rm -rf /' }, 400, 'VALIDATION', /user/],
      [{ name: 'pi-2', root: 'relative/dir' }, 400, 'VALIDATION', /root/],
      [{ name: 'pi-2', host: '203.0.113.9' }, 400, 'VALIDATION', /host/],
      [{ name: 'pi-2', keyPath: outside }, 400, 'VALIDATION', /keyPath must name a key file in/],
      [{ name: 'pi-2', relay: 'nowhere' }, 404, 'NOT_FOUND', /relay/],
      [{ name: 'pi-1' }, 409, 'CONFLICT', /already exists/],
    ];
    for (const [json, status, code, message] of cases) {
      const res = await add(json);
      const b = await body(res);
      expect({ json, status: res.status, code: b.error?.code }).toEqual({ json, status, code });
      expect(`${b.error.message} ${JSON.stringify(b.error.details ?? {})}`).toMatch(message);
      expect(JSON.stringify(b)).not.toContain('PRIVATE KEY');
    }
    expect(stateRows()).toEqual(before);
    expect(readFileSync(keysFile(), 'utf8')).toBe(keysBefore);
  });

  it('before edge setup: 422 with the hint, nothing stored', async () => {
    const before = stateRows();
    const res = await add({ name: 'pi-1' });
    expect(res.status).toBe(422);
    const b = await body(res);
    expect(b.error.code).toBe('STATE');
    expect(b.error.hint).toContain('infrakt edge setup');
    expect(stateRows()).toEqual(before);
    expect(existsSync(keysFile())).toBe(false);
  });

  it('is documented in OpenAPI with its request and response schemas', async () => {
    const doc = await body(await f.req('/api/openapi.json'));
    const op = doc.paths['/api/edge/servers'].post;
    expect(op.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/EdgeServerAdd');
    expect(op.responses['201'].content['application/json'].schema.$ref).toBe('#/components/schemas/EdgeServerAdded');
    expect(Object.keys(doc.components.schemas.EdgeServerAdd.properties)).toEqual(
      expect.arrayContaining(['name', 'relay', 'user', 'devicePort', 'keyPath', 'root']),
    );
  });
});
