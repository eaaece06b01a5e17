import { describe, expect, it } from 'vitest';
import { loopbackPort } from '../../../src/core/plans/deploy-compose.js';
import {
  listeningPorts,
  pickReleasePort,
  portTaken,
  RELEASE_PORT_RANGE,
} from '../../../src/core/plans/release-ports.js';

describe('release host ports', () => {
  it('reads listening sockets (IPv4, IPv6, any address) and docker published ports', () => {
    const ss = [
      'LISTEN 0      4096       127.0.0.1:20001      0.0.0.0:*',
      'LISTEN 0      511             [::]:20002         [::]:*',
      'ESTAB  0      0          10.0.0.5:22       10.0.0.9:51515',
      'LISTEN 0      128    [::ffff:127.0.0.1]:20003   *:*',
      '',
    ].join('\n');
    const dockerPorts = '127.0.0.1:20004->3000/tcp\n0.0.0.0:20005->80/tcp, :::20005->80/tcp\n\n';
    expect([...listeningPorts(ss, dockerPorts)].sort((a, b) => a - b)).toEqual([22, 20001, 20002, 20003, 20004, 20005]);
  });

  it('picks a port of the range that is not used, starting where rand points and wrapping', () => {
    const r = { min: 100, max: 104 };
    expect(pickReleasePort(new Set(), 0, r)).toBe(100);
    expect(pickReleasePort(new Set(), 0.999999, r)).toBe(104);
    expect(pickReleasePort(new Set([102, 103]), 0.5, r)).toBe(104);
    expect(pickReleasePort(new Set([103, 104]), 0.7, r)).toBe(100);
    expect(pickReleasePort(new Set([100, 101, 102, 103, 104]), 0.3, r)).toBeNull();
    const p = pickReleasePort(new Set([25000]), 0.5)!;
    expect(p).not.toBe(25000);
    expect(p).toBeGreaterThanOrEqual(RELEASE_PORT_RANGE.min);
    expect(p).toBeLessThanOrEqual(RELEASE_PORT_RANGE.max);
    // Below the ephemeral range, so an outgoing connection never holds a release's port.
    expect(RELEASE_PORT_RANGE.max).toBeLessThan(32768);
  });

  it('publishes the chosen port explicitly; recognises a port taken at start', () => {
    expect(loopbackPort(3000, 24242)).toBe('127.0.0.1:24242:3000');
    expect(portTaken('Bind for 127.0.0.1:24242 failed: port is already allocated')).toBe(true);
    expect(portTaken('listen tcp4 127.0.0.1:24242: bind: address already in use')).toBe(true);
    expect(portTaken('no such image')).toBe(false);
  });
});
