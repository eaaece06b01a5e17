// The pure parts of edge servers: the restricted authorized_keys lines, tunnel port allocation, the bootstrap
// script (rendered, then parsed by a real /bin/sh -n, and hostile values kept as data), and the input schemas.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { render } from '../../src/core/cmd/index.js';
import { renderEdgeBootstrap } from '../../src/core/commands/edge-bootstrap.js';
import {
  isTunnelSession,
  parseListenerOwners,
  processUid,
  terminateProcess,
  tunnelListener,
} from '../../src/core/commands/edge-session.js';
import { tunnelPortCandidates } from '../../src/core/edge/ports.js';
import { sshdMatchBlock } from '../../src/core/edge/sshd-setup.js';
import { renderTunnelAuthorizedKeys, tunnelKeyLine } from '../../src/core/edge/tunnel-keys.js';
import { edgeServerAddSchema, endpointSchema, keysFileSchema, portRangeSchema } from '../../src/core/schemas/edge.js';
import { Secret } from '../../src/core/secret.js';

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJj8PfBIPb+Al7r4QlEgHi+J3gS81HJLLqn7myL0RL6b';

describe('tunnel authorized_keys', () => {
  it('allows exactly the one reverse forward, nothing else', () => {
    expect(tunnelKeyLine({ device: 'pi-1', port: 20005, publicKey: ED })).toBe(
      `restrict,port-forwarding,permitlisten="127.0.0.1:20005",permitopen="127.0.0.1:20005",command="/bin/false" ${ED} infrakt-edge:pi-1`,
    );
  });

  it('refuses a key line or name that could smuggle options', () => {
    expect(() => tunnelKeyLine({ device: 'x', port: 20005, publicKey: `${ED}\nssh-ed25519 AAAA` })).toThrow();
    expect(() => tunnelKeyLine({ device: 'x",command="sh', port: 20005, publicKey: ED })).toThrow();
    expect(() => tunnelKeyLine({ device: 'x', port: 80, publicKey: ED })).toThrow();
  });

  it('renders the whole file from state, sorted by port', () => {
    const file = renderTunnelAuthorizedKeys([
      { device: 'b', port: 20010, publicKey: ED },
      { device: 'a', port: 20001, publicKey: ED },
    ]);
    const lines = file.trim().split('\n');
    expect(lines[0]).toMatch(/^# Managed by infrakt/);
    expect(lines[1]).toContain('infrakt-edge:a');
    expect(lines[2]).toContain('infrakt-edge:b');
  });

  it('the sshd Match block gives the tunnel user remote forwarding only', () => {
    const block = sshdMatchBlock({ tunnelUser: 'infrakt-edge', keysFile: '/var/lib/x/keys', keysUser: 'ops' });
    expect(block).toContain('Match User infrakt-edge');
    expect(block).toContain('AuthorizedKeysCommand /bin/cat /var/lib/x/keys');
    expect(block).toContain('AllowTcpForwarding remote');
    expect(block).toContain('PermitTTY no');
    expect(block).toContain('ForceCommand /bin/false');
  });
});

describe('ending a tunnel session at a relay', () => {
  it('asks ss for the one loopback listener, reads the owner uid, signals that pid only', () => {
    expect(render(tunnelListener(20005))).toBe('ss -H -t -l -n -p src 127.0.0.1:20005');
    expect(render(processUid(4242))).toBe('stat -c %u /proc/4242 2> /dev/null');
    expect(render(terminateProcess(4242))).toBe('kill -s TERM 4242');
    for (const bad of [0, 1, -5, 1.5, Number.NaN]) expect(() => terminateProcess(bad)).toThrow();
  });

  it('parses the owners of ss -p lines, each process once', () => {
    const out = [
      'LISTEN 0 128 127.0.0.1:20005 0.0.0.0:* users:(("sshd",pid=812,fd=9),("sshd",pid=812,fd=10))',
      'LISTEN 0 128 127.0.0.1:20005 0.0.0.0:* users:(("sshd-session",pid=900,fd=7))',
    ].join('\n');
    expect(parseListenerOwners(out)).toEqual([
      { comm: 'sshd', pid: 812 },
      { comm: 'sshd-session', pid: 900 },
    ]);
    // Without permission ss shows the socket but no process.
    expect(parseListenerOwners('LISTEN 0 128 127.0.0.1:20005 0.0.0.0:*')).toEqual([]);
  });

  it('only an unprivileged sshd session counts, never root or another program', () => {
    expect(isTunnelSession('sshd', 64999)).toBe(true);
    expect(isTunnelSession('sshd-session', 1000)).toBe(true);
    expect(isTunnelSession('sshd', 0)).toBe(false);
    expect(isTunnelSession('nc', 1000)).toBe(false);
  });
});

describe('tunnel ports', () => {
  it('yields every free port once, starting at a random point and wrapping', () => {
    const ports = [...tunnelPortCandidates({ min: 20000, max: 20004 }, new Set([20001, 20003]), () => 0.5)];
    expect(ports).toEqual([20002, 20004, 20000]);
  });

  it('yields nothing when the range is full', () => {
    expect([...tunnelPortCandidates({ min: 20000, max: 20001 }, new Set([20000, 20001]), () => 0)]).toEqual([]);
  });
});

describe('edge schemas', () => {
  it('parses endpoints and port ranges, refusing the rest', () => {
    expect(endpointSchema.parse('ctl.example.com')).toEqual({ host: 'ctl.example.com', port: 22 });
    expect(endpointSchema.parse('[2001:db8::1]:2222')).toEqual({ host: '2001:db8::1', port: 2222 });
    expect(endpointSchema.safeParse('a b:22').success).toBe(false);
    expect(portRangeSchema.parse('20000-20010')).toEqual({ min: 20000, max: 20010 });
    expect(portRangeSchema.safeParse('80-90').success).toBe(false);
    expect(portRangeSchema.safeParse('30000-20000').success).toBe(false);
  });

  it('keys file paths are ones sshd can pass to cat unsplit', () => {
    expect(keysFileSchema.safeParse('/home/ops/.infrakt-edge/authorized_keys').success).toBe(true);
    expect(keysFileSchema.safeParse('/tmp/a b').success).toBe(false);
    expect(keysFileSchema.safeParse('/tmp/%u').success).toBe(false);
    expect(keysFileSchema.safeParse('/tmp/../etc/shadow').success).toBe(false);
  });

  it('an edge server add takes a name and defaults', () => {
    expect(edgeServerAddSchema.parse({ name: 'pi-1' })).toMatchObject({ user: 'root', devicePort: 22 });
    expect(edgeServerAddSchema.safeParse({ name: 'Pi 1' }).success).toBe(false);
  });
});

function openSshPem(type: 'ed25519'): string {
  // A syntactically valid OpenSSH private key block is all the renderer checks; content is opaque to it.
  const body = Buffer.from(generateKeyPairSync(type).privateKey.export({ type: 'pkcs8', format: 'der' }))
    .toString('base64')
    .replace(/(.{70})/g, '$1\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

describe('bootstrap script', () => {
  const input = {
    device: 'pi-1',
    generatedAt: '2026-11-30T00:00:00.000Z',
    endpoint: { host: 'ctl.example.com', port: 2222 },
    via: 'the control host',
    endpointHostKeys: [ED],
    tunnelUser: 'infrakt-edge',
    tunnelPort: 20005,
    deviceSshPort: 22,
    loginUser: 'root',
    infraktKey: `${ED} me@laptop`,
    tunnelPrivateKey: new Secret(openSshPem('ed25519')),
    hostPrivateKey: new Secret(openSshPem('ed25519')),
    hostPublicKey: 'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQ=',
    hostKeyFingerprint: `SHA256:${'A'.repeat(43)}`,
  };

  it('is a valid POSIX sh script holding the settings as quoted data', () => {
    const script = renderEdgeBootstrap(input).reveal();
    const parsed = spawnSync('/bin/sh', ['-n'], { input: script, encoding: 'utf8' });
    expect(parsed.status).toBe(0);
    expect(script).toContain("INFRAKT_KEY='ssh-ed25519 ");
    expect(script).toContain('TUNNEL_PORT=20005');
    expect(script).toContain('infrakt-meeting-point ssh-ed25519 ');
    expect(script).toContain('-R "127.0.0.1:$TUNNEL_PORT:127.0.0.1:$DEVICE_SSH_PORT"');
    expect(script).toContain('ServerAliveInterval=15');
    expect(script).toContain('Restart=always');
  });

  it('is a Secret: it never prints its private keys by accident', () => {
    const s = renderEdgeBootstrap(input);
    expect(String(s)).toBe('[redacted]');
    expect(JSON.stringify({ s })).not.toContain('PRIVATE KEY');
  });

  it('refuses values that are not what they claim to be', () => {
    expect(() => renderEdgeBootstrap({ ...input, endpoint: { host: 'a;reboot', port: 22 } })).toThrow(/endpoint/);
    expect(() => renderEdgeBootstrap({ ...input, loginUser: 'root$(id)' })).toThrow(/user/);
    expect(() => renderEdgeBootstrap({ ...input, infraktKey: "ssh-ed25519 AAAA' ; reboot" })).toThrow(/public key/);
    expect(() => renderEdgeBootstrap({ ...input, tunnelPort: 80 })).toThrow(/port/);
  });
});
