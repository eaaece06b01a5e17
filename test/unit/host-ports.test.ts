// Host ports infrakt hands out: the ports-in-use command and its parser (exact sets, and the command run through
// a real /bin/sh here), the free-port choice, and the two ranges (releases, databases) that must never overlap.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/core/cmd/index.js';
import { listensOn, parsePortsInUse, portsInUse } from '../../src/core/commands/ports.js';
import { loopbackPort } from '../../src/core/plans/deploy-compose.js';
import { DB_PORT_RANGE, pickFreePort, portTaken, RELEASE_PORT_RANGE } from '../../src/core/plans/host-ports.js';

/** What `portsInUse()` prints: ss's lines, the separator, docker's lines. */
const output = (ss: string, dockerPorts: string) => `${ss}---\n${dockerPorts}`;

describe('ports in use', () => {
  it('reads listening sockets (IPv4, IPv6, any address) and docker published ports', () => {
    const ss = [
      'LISTEN 0      4096       127.0.0.1:20001      0.0.0.0:*',
      'LISTEN 0      511             [::]:20002         [::]:*',
      'ESTAB  0      0          10.0.0.5:22       10.0.0.9:51515',
      'LISTEN 0      128    [::ffff:127.0.0.1]:20003   *:*',
      '',
    ].join('\n');
    const dockerPorts = '127.0.0.1:20004->3000/tcp\n0.0.0.0:20005->80/tcp, :::20005->80/tcp\n\n';
    expect([...parsePortsInUse(output(ss, dockerPorts))].sort((a, b) => a - b)).toEqual([
      22, 20001, 20002, 20003, 20004, 20005,
    ]);
  });

  it('reads ss and docker ps for databases too (connected sockets count)', () => {
    const used = parsePortsInUse(
      output(
        'LISTEN 0 4096 127.0.0.1:15000 0.0.0.0:*\nESTAB 0 0 [::1]:15001 [::1]:40000\n',
        '127.0.0.1:15002->5432/tcp\n0.0.0.0:8080->80/tcp, :::8080->80/tcp',
      ),
    );
    expect([...used].sort()).toEqual([15000, 15001, 15002, 8080]);
    expect(pickFreePort(used, 0, DB_PORT_RANGE)).toBe(15003);
    expect(pickFreePort(new Set(), 0.999999, DB_PORT_RANGE)).toBe(19999);
  });

  it('without ss (nothing before the separator) still reads the docker ports', () => {
    expect([...parsePortsInUse(output('', '127.0.0.1:20004->3000/tcp\n'))]).toEqual([20004]);
  });

  it('is one command: ss, a separator, docker ps (each tool may be missing)', () => {
    expect(render(portsInUse())).toBe("ss -Htan 2> /dev/null; echo ---; docker ps --format '{{.Ports}}' 2> /dev/null");
  });

  describe('through a real /bin/sh here', () => {
    let server: Server;
    let port = 0;
    beforeAll(async () => {
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('sees a port this test listens on', () => {
      const out = execFileSync('/bin/sh', ['-c', render(portsInUse())], { encoding: 'utf8' });
      expect(parsePortsInUse(out).has(port)).toBe(true);
    });
  });
});

describe('free port choice and ranges', () => {
  it('picks a port of the range that is not used, starting where rand points and wrapping', () => {
    const r = { min: 100, max: 104 };
    expect(pickFreePort(new Set(), 0, r)).toBe(100);
    expect(pickFreePort(new Set(), 0.999999, r)).toBe(104);
    expect(pickFreePort(new Set([102, 103]), 0.5, r)).toBe(104);
    expect(pickFreePort(new Set([103, 104]), 0.7, r)).toBe(100);
    expect(pickFreePort(new Set([100, 101, 102, 103, 104]), 0.3, r)).toBeNull();
    const p = pickFreePort(new Set([25000]), 0.5, RELEASE_PORT_RANGE)!;
    expect(p).not.toBe(25000);
    expect(p).toBeGreaterThanOrEqual(RELEASE_PORT_RANGE.min);
    expect(p).toBeLessThanOrEqual(RELEASE_PORT_RANGE.max);
  });

  it('release and database ranges never overlap, so a stopped release port is never handed to a database (or back)', () => {
    expect(DB_PORT_RANGE.max < RELEASE_PORT_RANGE.min || RELEASE_PORT_RANGE.max < DB_PORT_RANGE.min).toBe(true);
    // Both below the ephemeral range, so an outgoing connection never holds one of them.
    expect(RELEASE_PORT_RANGE.max).toBeLessThan(32768);
    expect(DB_PORT_RANGE.max).toBeLessThan(32768);
  });

  it('publishes the chosen port explicitly; recognises a port taken at start', () => {
    expect(loopbackPort(3000, 24242)).toBe('127.0.0.1:24242:3000');
    expect(portTaken('Bind for 127.0.0.1:24242 failed: port is already allocated')).toBe(true);
    expect(portTaken('listen tcp4 127.0.0.1:24242: bind: address already in use')).toBe(true);
    expect(portTaken('no such image')).toBe(false);
  });
});

describe('listensOn (Caddy admin from the prepare batch)', () => {
  const out = [
    'LISTEN 0 4096 127.0.0.1:2019 0.0.0.0:*',
    'ESTAB 0 0 127.0.0.1:41000 127.0.0.1:2020',
    'LISTEN 0 4096 *:8080 *:*',
    'LISTEN 0 4096 [::1]:2021 [::]:*',
    '---',
    '127.0.0.1:2022->3000/tcp',
  ].join('\n');
  it('a LISTEN socket on the address, on every address, or on IPv6 loopback', () => {
    expect(listensOn(out, '127.0.0.1', 2019)).toBe(true);
    expect(listensOn(out, '127.0.0.1', 8080)).toBe(true);
    expect(listensOn(out, '::1', 2021)).toBe(true);
  });
  it('not a connected socket, another address, or a Docker mapping', () => {
    expect(listensOn(out, '127.0.0.1', 2020)).toBe(false);
    expect(listensOn(out, '127.0.0.1', 41000)).toBe(false);
    expect(listensOn(out, '127.0.0.2', 2019)).toBe(false);
    expect(listensOn(out, '127.0.0.1', 2022)).toBe(false);
  });
});
