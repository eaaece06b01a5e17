// Edge services against a real SQLite state and real files (no server needed: the control host meeting point is
// local files). Covers what must hold without a device: bad input changes nothing, each device gets its own port
// and key line, a failed keys-file write leaves no server behind, and remove takes the key out.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addEdgeServer } from '../../src/services/edge/devices.js';
import { setupEdgeControl } from '../../src/services/edge/setup.js';
import { listServers, removeServer } from '../../src/services/servers/servers.js';
import { fileMode, filesContaining, openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

let dir: string;
let state: TestState;
let hostKeyFile: string;
let loginKey: string;

beforeEach(() => {
  dir = tempDir('ikt-test-edge-svc-');
  state = openTestState(join(dir, 'home'));
  const host = utils.generateKeyPairSync('ed25519');
  hostKeyFile = join(dir, 'ssh_host_ed25519_key.pub');
  writeFileSync(hostKeyFile, `${host.public}\n`);
  const login = utils.generateKeyPairSync('ed25519');
  loginKey = join(dir, 'id_ed25519');
  writeFileSync(loginKey, login.private, { mode: 0o600 });
  writeFileSync(`${loginKey}.pub`, `${login.public}\n`);
});

afterEach(async () => {
  await state.close();
  removeDir(dir);
});

const keysFile = () => join(state.paths.home, 'edge', 'authorized_keys');
const setup = (ports = '40000-49999') =>
  setupEdgeControl(state.ctx, { endpoint: 'ctl.example.com:2222', ports, hostKeyFiles: [hostKeyFile] });

/** A loopback port free right now (never a fixed one: other tests share this machine). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('edge devices at the control host', () => {
  it('refuses a device before the control host is set up, leaving nothing behind', async () => {
    await expect(addEdgeServer(state.ctx, { name: 'pi-1' })).rejects.toMatchObject({ code: 'STATE' });
    expect(await listServers(state.ctx)).toEqual([]);
  });

  it('gives each device its own port and restricted key line, a pinned host key, and a 0600 keys file', async () => {
    await setup();
    const a = await addEdgeServer(state.ctx, { name: 'pi-1', keyPath: loginKey });
    const b = await addEdgeServer(state.ctx, { name: 'pi-2', keyPath: loginKey });
    expect(a.tunnelPort).not.toBe(b.tunnelPort);
    for (const p of [a.tunnelPort, b.tunnelPort]) expect(p >= 40000 && p <= 49999).toBe(true);
    expect(a.server.host).toBe('127.0.0.1');
    expect(a.server.port).toBe(a.tunnelPort);
    expect(a.server.hostKeyFingerprint).toBe(a.hostKeyFingerprint);
    expect(a.server.edge).toMatchObject({ relay: null, tunnelPort: a.tunnelPort });
    expect(a.loginKeyIncluded).toBe(true);
    const file = readFileSync(keysFile(), 'utf8');
    expect(file).toContain(`permitlisten="127.0.0.1:${a.tunnelPort}"`);
    expect(file).toContain(`permitlisten="127.0.0.1:${b.tunnelPort}"`);
    expect(fileMode(keysFile())).toBe(0o600);
    // The device's private keys live in the bootstrap script only, never in infrakt's state.
    const pem = a.bootstrap.reveal().match(/-----BEGIN OPENSSH PRIVATE KEY-----\n([A-Za-z0-9+/=]{40})/)?.[1];
    expect(pem).toBeTruthy();
    expect(filesContaining(state.paths.home, pem as string)).toEqual([]);
  });

  it('a full port range is a clear conflict', async () => {
    const p = await freePort();
    await setup(`${p}-${p}`);
    expect((await addEdgeServer(state.ctx, { name: 'pi-1' })).tunnelPort).toBe(p);
    await expect(addEdgeServer(state.ctx, { name: 'pi-2' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await listServers(state.ctx)).map((s) => s.name)).toEqual(['pi-1']);
  });

  it('a keys file that cannot be written leaves no server behind', async () => {
    await setup();
    // A directory where the file should be: the atomic rename onto it fails (for root too).
    rmSync(keysFile());
    mkdirSync(keysFile());
    await expect(addEdgeServer(state.ctx, { name: 'pi-1' })).rejects.toMatchObject({ code: 'STATE' });
    expect(await listServers(state.ctx)).toEqual([]);
  });

  it('remove revokes the key (no open session here) and frees the port', async () => {
    await setup();
    const a = await addEdgeServer(state.ctx, { name: 'pi-1' });
    const r = await removeServer(state.ctx, 'pi-1');
    expect(r).toMatchObject({ edgeKeyRevokedAt: 'control host', edgeSessionEnded: null });
    expect(readFileSync(keysFile(), 'utf8')).not.toContain('infrakt-edge:pi-1');
    const again = await addEdgeServer(state.ctx, { name: 'pi-1' });
    expect(again.tunnelPort >= 40000 && again.tunnelPort <= 49999).toBe(true);
    expect(existsSync(keysFile())).toBe(true);
    expect(a.hostKeyFingerprint).not.toBe(again.hostKeyFingerprint);
  });
});
