// Edge servers end to end on real OpenSSH: a device in a network namespace of its own that accepts no incoming
// connection runs the bootstrap script `server add --edge` wrote, its own sshd and the script's tunnel loop;
// infrakt reaches it only through the reverse forward (at the control host, or at a relay), with the device's
// host key pinned; an app deploy runs against a Docker engine and Caddy of the device's own. See
// test/harness/edge-net.ts for the namespaces.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshdMatchBlock } from '../../src/core/edge/sshd-setup.js';
import { cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';
import { dockerBin, ensureTestImages, TEST_IMAGES } from '../harness/docker.js';
import {
  createEdgeNet,
  type Device,
  type EdgeNet,
  edgeNetAvailable,
  type MeetingPointSshd,
  newMeetingPoint,
  startDevice,
  startDeviceDockerd,
  stopEdgeNet,
} from '../harness/edge-net.js';
import { getClientKeys, SSHD_BIN, startSshd, stopAllSshd, waitFor } from '../harness/sshd.js';

const available = edgeNetAvailable();
const id = randomBytes(3).toString('hex');

interface Ctl {
  home: string;
  net: EdgeNet;
  control: MeetingPointSshd;
  tunnelUser: string;
}
let t: Ctl;

async function cli(args: readonly string[]) {
  return runCli(args, { home: t.home, timeoutMs: 90_000 });
}
async function ok(args: readonly string[]) {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`infrakt ${args.join(' ')} → exit ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r;
}
async function json<T = Record<string, unknown>>(args: readonly string[]): Promise<{ code: number; body: T }> {
  // --json goes before a `--` (after it, it would be part of the remote command).
  const dd = args.indexOf('--');
  const r = await cli(dd < 0 ? [...args, '--json'] : [...args.slice(0, dd), '--json', ...args.slice(dd)]);
  if (process.env.EDGE_TEST_DEBUG) console.log(args.join(' '), r.code, r.durationMs, r.stdout.slice(0, 300));
  return { code: r.code, body: JSON.parse(r.stdout || '{}') as T };
}

interface StatusBody {
  edge?: { tunnel: string; relay: string | null; lastSeenAt: string | null; tunnelPort: number };
  error?: { code: string; message: string };
}
const status = (name: string) => json<StatusBody>(['server', 'status', name]);

async function untilTunnel(name: string, want: 'connected' | 'waiting'): Promise<void> {
  await waitFor(
    `${name}: tunnel ${want}`,
    async () => {
      const list = await json<{ name: string; edge: { tunnel: string } | null }[]>(['server', 'list']);
      return list.body.find((s) => s.name === name)?.edge?.tunnel === want;
    },
    60_000,
  );
}

/** Runs the bootstrap on a device, then the device's sshd on `port` and the script's tunnel loop. */
async function bringUp(device: Device, bootstrapFile: string, port: number) {
  const out = device.run(['/bin/sh', bootstrapFile]);
  expect(out).toContain('systemd is not running here');
  const sshd = startDeviceSshd(device, port, []);
  await waitFor(`device sshd on ${port}`, () => readFileSync(sshd.log, 'utf8').includes('Server listening on'), 20_000);
  const tunnel = device.start('tunnel', ['/bin/sh', '/etc/infrakt-edge/tunnel.sh']);
  return { device, sshd, tunnel };
}

/** The device's own sshd (its system configuration, with the drop-in the bootstrap added), or an impostor's. */
function startDeviceSshd(device: Device, port: number, extra: readonly string[]) {
  return device.start(`sshd-${port}-${randomBytes(2).toString('hex')}`, [
    SSHD_BIN,
    '-D',
    '-e',
    ...extra,
    '-o',
    `Port=${port}`,
    '-o',
    'ListenAddress=127.0.0.1',
    '-o',
    'UsePAM=no',
    '-o',
    'PasswordAuthentication=no',
    '-o',
    'PermitRootLogin=prohibit-password',
    '-o',
    `PidFile=${join(device.dir, `sshd-${port}.pid`)}`,
  ]);
}

function tcpOutcome(host: string, port: number, ms: number): Promise<'connected' | 'refused' | 'timeout'> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, ms);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('connected');
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve('refused');
    });
  });
}

describe.skipIf(!available)('edge server at the control host (reverse tunnel from a namespace)', () => {
  let device: Device;
  let up: Awaited<ReturnType<typeof bringUp>>;
  let tunnelPort: number;
  let bootstrapFile: string;
  let greeter: Server;
  let greeterPort: number;

  beforeAll(async () => {
    const net = createEdgeNet();
    const home = makeInfraktHome();
    const control = newMeetingPoint(net.hostAddr);
    t = { home, net, control, tunnelUser: `ikte${id}` };
    const setup = await json<{ sshd: { sshdConfig: string; keysFile: string } }>([
      'edge',
      'setup',
      '--endpoint',
      `${net.hostAddr}:${control.port}`,
      '--tunnel-user',
      t.tunnelUser,
      '--host-key-file',
      control.hostKeyFile,
    ]);
    expect(setup.code).toBe(0);
    // The control host's sshd runs exactly the Match block infrakt printed.
    await control.start({ tunnelUser: t.tunnelUser, extraConfig: setup.body.sshd.sshdConfig });
    bootstrapFile = join(home, 'dev-a.sh');
    const added = await json<{ tunnelPort: number; hostKeyFingerprint: string }>([
      'server',
      'add',
      '--name',
      'dev-a',
      '--edge',
      '--key',
      getClientKeys().ed25519,
      // The device shares this machine's filesystem (but /etc and /root): a remote root of its own.
      '--root',
      join(home, 'dev-a-root'),
      '--bootstrap-file',
      bootstrapFile,
    ]);
    expect(added.code).toBe(0);
    tunnelPort = added.body.tunnelPort;
    device = await startDevice(net);
    up = await bringUp(device, bootstrapFile, 22);
    greeter = createServer((s) => s.end('GREETER-SECRET\n'));
    await new Promise<void>((r) => greeter.listen(0, '127.0.0.1', r));
    greeterPort = (greeter.address() as { port: number }).port;
  });

  afterAll(async () => {
    greeter?.close();
    stopEdgeNet();
    await stopAllSshd();
    cleanupHomes();
  });

  it('authorises the device key for its own reverse forward only', () => {
    const keys = readFileSync(join(t.home, 'edge', 'authorized_keys'), 'utf8');
    expect(keys).toContain(`restrict,port-forwarding,permitlisten="127.0.0.1:${tunnelPort}"`);
    expect(keys).toContain('infrakt-edge:dev-a');
    expect(readFileSync(bootstrapFile, 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
  });

  it('the device cannot be reached directly', async () => {
    expect(await tcpOutcome(t.net.nsAddr, 22, 2_000)).toBe('timeout');
  });

  it('status and exec work through the tunnel, with the device host key pinned', async () => {
    await untilTunnel('dev-a', 'connected');
    const s = await status('dev-a');
    expect(s.body.error).toBeUndefined();
    expect(s.code).toBe(0);
    expect(s.body.edge?.tunnel).toBe('connected');
    expect(s.body.edge?.lastSeenAt).toMatch(/^\d{4}-/);
    const human = await ok(['server', 'status', 'dev-a']);
    expect(human.stdout).toMatch(/edge\s+connected, last seen/);
    // The command ran inside the namespace: it sees the namespace's address.
    const r = await ok(['server', 'exec', '--server', 'dev-a', '--', 'ip -o -4 addr show']);
    expect(r.stdout).toContain(t.net.nsAddr);
  });

  it('carries large output through the tunnel', async () => {
    const r = await json<{ stdout: string; exitCode: number }[]>([
      'server',
      'exec',
      '--server',
      'dev-a',
      '--timeout',
      '40',
      '--',
      'head -c 3000000 /dev/urandom | base64 -w 0',
    ]);
    expect(r.code).toBe(0);
    expect(r.body[0]?.stdout.length).toBe(4_000_000);
  });

  it('the device key cannot open a shell or any other forward on the control host', () => {
    const key = join(device.dir, 'tunnel-key');
    writeFileSync(key, device.run(['cat', '/etc/infrakt-edge/id_ed25519']), { mode: 0o600 });
    const ssh = (args: readonly string[]) => {
      try {
        const out = device.run([
          'timeout',
          '30',
          'ssh',
          '-F',
          'none',
          '-i',
          key,
          '-o',
          'IdentitiesOnly=yes',
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-o',
          'BatchMode=yes',
          '-o',
          'ExitOnForwardFailure=yes',
          '-p',
          String(t.control.port),
          '-l',
          t.tunnelUser,
          ...args,
        ]);
        return { code: 0, out };
      } catch (e) {
        const err = e as { status: number; stdout: string; stderr: string };
        return { code: err.status, out: `${err.stdout}${err.stderr}` };
      }
    };
    const mark = join(device.dir, `shell-${id}`);
    const shell = ssh([t.net.hostAddr, `touch ${mark}; echo SHELL-RAN`]);
    expect(shell.code).not.toBe(0);
    expect(shell.out).not.toContain('SHELL-RAN');
    expect(existsSync(mark)).toBe(false);
    const otherListen = ssh(['-N', '-R', `127.0.0.1:${tunnelPort + 1}:127.0.0.1:22`, t.net.hostAddr]);
    expect(otherListen.code).not.toBe(0);
    expect(otherListen.out).toMatch(/forwarding failed|administratively prohibited/i);
    const open = ssh(['-W', `127.0.0.1:${greeterPort}`, t.net.hostAddr]);
    expect(open.code).not.toBe(0);
    expect(open.out).not.toContain('GREETER-SECRET');
  });

  it('a killed tunnel comes back by itself; a stopped one shows waiting', async () => {
    const shPid = up.tunnel.child.pid as number;
    const sshPid = Number(execFileSync('pgrep', ['-P', String(shPid), '-x', 'ssh'], { encoding: 'utf8' }).trim());
    const accepted = () => (readFileSync(t.control.logPath, 'utf8').match(/Accepted publickey for ikte/g) ?? []).length;
    const before = accepted();
    process.kill(sshPid, 'SIGTERM');
    await waitFor('the tunnel to dial again', () => accepted() > before, 60_000);
    await untilTunnel('dev-a', 'connected');

    up.tunnel.stop();
    await untilTunnel('dev-a', 'waiting');
    const s = await status('dev-a');
    expect(s.code).not.toBe(0);
    expect(s.body.error?.message).toMatch(/waiting: its tunnel to this control host is not up \(last seen \d{4}-/);
    up.tunnel = device.start('tunnel-2', ['/bin/sh', '/etc/infrakt-edge/tunnel.sh']);
    await untilTunnel('dev-a', 'connected');
  });

  it('refuses anything else on the tunnel port: a local impostor, and a device sshd with another host key', async () => {
    up.tunnel.stop();
    await untilTunnel('dev-a', 'waiting');
    const impostor = await startSshd({ port: tunnelPort });
    try {
      const s = await status('dev-a');
      expect(s.body.error?.code).toBe('HOST_KEY_MISMATCH');
    } finally {
      await impostor.stop();
    }
    // The device itself, its sshd now presenting another key of the pinned type.
    up.sshd.stop();
    const other = join(device.dir, 'other_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '384', '-N', '', '-f', other]);
    const fake = startDeviceSshd(device, 22, ['-f', '/dev/null', '-o', `HostKey=${other}`]);
    await waitFor('impostor device sshd', () => readFileSync(fake.log, 'utf8').includes('Server listening on'), 20_000);
    up.tunnel = device.start('tunnel-3', ['/bin/sh', '/etc/infrakt-edge/tunnel.sh']);
    await untilTunnel('dev-a', 'connected');
    const s = await status('dev-a');
    expect(s.body.error?.code).toBe('HOST_KEY_MISMATCH');
    fake.stop();
    up.sshd = startDeviceSshd(device, 22, []);
    await waitFor('device sshd again', () => readFileSync(up.sshd.log, 'utf8').includes('Server listening on'), 20_000);
    await waitFor('status ok again', async () => (await status('dev-a')).code === 0, 60_000);
  });

  describe('relay mode', () => {
    let relay: MeetingPointSshd;
    let relayKeys: string;
    let relayPort: number;
    let dev2: Awaited<ReturnType<typeof bringUp>>;

    beforeAll(async () => {
      relay = newMeetingPoint(t.net.hostAddr);
      relayKeys = join(relay.dir, 'keys', 'authorized_keys');
      const block = sshdMatchBlock({ tunnelUser: t.tunnelUser, keysFile: relayKeys, keysUser: 'root' });
      await relay.start({ tunnelUser: t.tunnelUser, extraConfig: block, rootKeys: getClientKeys().authorizedKeys });
      const added = await json<{ hostKeyFingerprint: string; sshd: { sshdConfig: string } }>([
        'edge',
        'relay',
        'add',
        '--name',
        'r1',
        '--host',
        t.net.hostAddr,
        '--port',
        String(relay.port),
        '--key',
        getClientKeys().ed25519,
        '--tunnel-user',
        t.tunnelUser,
        '--keys-file',
        relayKeys,
      ]);
      expect(added.code).toBe(0);
      expect(added.body.sshd.sshdConfig).toBe(block);
      const file = join(t.home, 'dev-b.sh');
      const dev = await json<{ tunnelPort: number }>([
        'server',
        'add',
        '--name',
        'dev-b',
        '--edge',
        '--relay',
        'r1',
        '--device-port',
        '2200',
        '--key',
        getClientKeys().ed25519,
        '--root',
        join(t.home, 'dev-b-root'),
        '--bootstrap-file',
        file,
      ]);
      expect(dev.code).toBe(0);
      relayPort = dev.body.tunnelPort;
      dev2 = await bringUp(await startDevice(t.net), file, 2200);
    });

    it('reaches the device through the relay, both host keys verified', async () => {
      expect(readFileSync(relayKeys, 'utf8')).toContain(`permitlisten="127.0.0.1:${relayPort}"`);
      await untilTunnel('dev-b', 'connected');
      const s = await status('dev-b');
      expect(s.body.error).toBeUndefined();
      expect(s.code).toBe(0);
      expect(s.body.edge?.relay).toBe('r1');
      const r = await ok([
        'server',
        'exec',
        '--server',
        'dev-b',
        '--',
        'ip -o -4 addr show; echo port-$SSH_CONNECTION',
      ]);
      expect(r.stdout).toContain(t.net.nsAddr);
      expect(r.stdout).toMatch(/ 2200\b/);
    });

    it('export writes both as edge servers, and plan on that file (live, through the tunnels) shows no changes', async () => {
      await untilTunnel('dev-a', 'connected');
      const file = join(t.home, 'infrakt.yaml');
      await ok(['export', '-o', file]);
      const text = readFileSync(file, 'utf8');
      expect(text).toMatch(/dev-b:\n\s+edge:\n\s+relay: r1\n\s+devicePort: 2200\n\s+hostKey: [a-z0-9-]+ AAAA/);
      expect(text).toMatch(/dev-a:\n\s+edge:\n\s+hostKey: [a-z0-9-]+ AAAA/);
      expect(text).not.toContain('127.0.0.1');
      const plan = await json<{ changes: unknown[]; warnings: string[]; checked: string[] }>(['plan', '-f', file]);
      expect(plan.body.changes).toEqual([]);
      expect(plan.body.warnings).toEqual([]);
      expect(plan.code).toBe(0);
    });

    it('a relay presenting its own sshd on the tunnel port fails the device host-key check', async () => {
      dev2.tunnel.stop();
      await untilTunnel('dev-b', 'waiting');
      const impostor = await startSshd({ port: relayPort });
      try {
        const s = await status('dev-b');
        expect(s.body.error?.code).toBe('HOST_KEY_MISMATCH');
      } finally {
        await impostor.stop();
      }
    });

    it('server remove revokes the tunnel key at the relay and ends the session still open there', async () => {
      dev2.tunnel = dev2.device.start('tunnel-b2', ['/bin/sh', '/etc/infrakt-edge/tunnel.sh']);
      await untilTunnel('dev-b', 'connected');
      expect(await tcpOutcome('127.0.0.1', relayPort, 2_000)).toBe('connected');
      const r = await json<{ edgeKeyRevokedAt: string; edgeSessionEnded: boolean | null }>([
        'server',
        'remove',
        'dev-b',
        '--yes',
      ]);
      expect(r.body.edgeKeyRevokedAt).toBe('relay r1');
      expect(r.body.edgeSessionEnded).toBe(true);
      expect(readFileSync(relayKeys, 'utf8')).not.toContain('infrakt-edge:dev-b');
      // The device's loop dials the relay again and is refused: the forward on the relay stays closed.
      await waitFor(
        'the revoked key to be refused at the relay',
        () =>
          /ended \(ssh exit 255 after \d+s\)[\s\S]*ended \(ssh exit 255 after \d+s\)/.test(
            readFileSync(dev2.tunnel.log, 'utf8'),
          ),
        90_000,
      );
      expect(await tcpOutcome('127.0.0.1', relayPort, 2_000)).toBe('refused');
      await ok(['edge', 'relay', 'remove', 'r1']);
    });
  });

  // After the relay tests: their export/plan round trip compares dev-a with no app on it.
  it('deploys an app through the tunnel: engine, health check and Caddy route all on the device side', async () => {
    // The device's own Docker engine, in its namespaces; its sessions reach it through DOCKER_HOST.
    const engine = await startDeviceDockerd(t.net, device);
    const app = `edge-web-${id}`;
    const domain = `${app}.test`;
    try {
      await ensureTestImages();
      const image = execFileSync(dockerBin(), ['save', TEST_IMAGES.web1], { maxBuffer: 256 * 1024 * 1024 });
      engine.docker(['load'], { input: image });
      up.sshd.stop();
      up.sshd = startDeviceSshd(device, 22, ['-o', `SetEnv=DOCKER_HOST=${engine.host}`]);
      await waitFor(
        'device sshd with its engine',
        () => readFileSync(up.sshd.log, 'utf8').includes('Server listening on'),
        20_000,
      );
      await waitFor('status ok', async () => (await status('dev-a')).code === 0, 60_000);
      // Caddy on the device: its ports are the device's own (its network namespace), not this machine's.
      await ok([
        'server',
        'set',
        'dev-a',
        '--proxy-tls',
        'off',
        '--proxy-http-port',
        '8080',
        '--proxy-https-port',
        '8443',
        '--proxy-admin',
        '127.0.0.1:2019',
        '--pull-policy',
        'never',
      ]);
      await ok(['proxy', 'setup', 'dev-a']);
      await ok([
        'app',
        'create',
        '--server',
        'dev-a',
        '--name',
        app,
        '--image',
        TEST_IMAGES.web1,
        '--port',
        '3000',
        '--domain',
        domain,
        '--health-path',
        '/health',
        '--health-timeout',
        '30',
      ]);
      const r = await ok(['app', 'deploy', app]);
      expect(r.stdout).toMatch(/release 1 serving/);
      // The route answers inside the device, through its Caddy, from a container of its engine.
      const body = device.run(['curl', '-sS', '--max-time', '10', '-H', `Host: ${domain}`, 'http://127.0.0.1:8080/']);
      expect(body).toContain('version=v1');
      const names = engine.docker(['ps', '--format', '{{.Names}}']);
      expect(names).toContain(app);
      // This machine's engine never saw the app.
      const here = execFileSync(dockerBin(), ['ps', '-a', '--format', '{{.Names}}'], { encoding: 'utf8' });
      expect(here).not.toContain(app);
    } finally {
      await engine.stop();
    }
  });

  it('server remove revokes the tunnel key at the control host and ends the open session', async () => {
    await untilTunnel('dev-a', 'connected');
    const r = await json<{ edgeKeyRevokedAt: string; edgeSessionEnded: boolean }>([
      'server',
      'remove',
      'dev-a',
      '--yes',
    ]);
    expect(r.body.edgeKeyRevokedAt).toBe('control host');
    expect(r.body.edgeSessionEnded).toBe(true);
    expect(readFileSync(join(t.home, 'edge', 'authorized_keys'), 'utf8')).not.toContain('infrakt-edge:dev-a');
    // The device's loop dials again and is refused: its key is gone, the port stays closed.
    const log = up.tunnel.log;
    await waitFor(
      'the revoked key to be refused',
      () => /ended \(ssh exit 255 after \d+s\)[\s\S]*ended \(ssh exit 255 after \d+s\)/.test(readFileSync(log, 'utf8')),
      90_000,
    );
    expect(await tcpOutcome('127.0.0.1', tunnelPort, 2_000)).toBe('refused');
  });
});
