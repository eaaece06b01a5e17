// Create → provision → deploy through the fake Hetzner Cloud API whose machines are the systemd test VPS
// (Debian 13, systemd as PID 1): the host key from the user data is in place before the container first boots,
// so infrakt's very first connection is already verified; then provisioning and an app deploy on that host.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';
import { FakeHetzner } from '../harness/fake-hetzner.js';
import { fingerprintOf } from '../harness/sshd.js';
import { dockerBin, ensureVpsImage } from '../harness/vps/start-vps.js';
import { removeDir, tempDir } from '../helpers/state.js';

const TOKEN = `${'vpsT0'.repeat(12)}abcd`;
const hasDocker = (() => {
  try {
    execFileSync(dockerBin(), ['version', '--format', '{{.Server.Version}}'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();
const runnable = (process.getuid?.() === 0 && hasDocker) || process.env.CI === 'true';

describe.skipIf(!runnable)(
  'server create --provision on a fake Hetzner machine that is a systemd VPS',
  { timeout: 900_000 },
  () => {
    const fake = new FakeHetzner({ token: TOKEN, backend: 'vps' });
    let home: string;
    let keys: string;
    let key: string;
    const timings: Record<string, number> = {};
    const cli = (args: string[], input?: string) =>
      runCli(args, { home, timeoutMs: 900_000, ...(input !== undefined ? { input } : {}) });

    beforeAll(async () => {
      ensureVpsImage();
      await fake.start();
      home = makeInfraktHome();
      keys = tempDir('ikt-test-vpskeys-');
      key = join(keys, 'id_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'infrakt-test', '-f', key]);
      expect((await cli(['provider', 'add', 'hetzner', '--name', 'hc', '--endpoint', fake.url], TOKEN)).code).toBe(0);
    }, 900_000);

    afterAll(async () => {
      if (Object.keys(timings).length) console.log(`create→provision→deploy timings (ms): ${JSON.stringify(timings)}`);
      await fake.stop();
      cleanupHomes();
      if (keys) removeDir(keys);
    });

    it('creates with a pre-pinned host key, provisions, deploys an app served through the firewall, destroys', async () => {
      let t0 = Date.now();
      const r = await cli([
        'server',
        'create',
        '--provider',
        'hc',
        '--name',
        'vps',
        '--type',
        'cx22',
        '--location',
        'fsn1',
        '--image',
        'debian-13',
        '--key',
        key,
        '--provision',
      ]);
      timings.createAndProvision = Date.now() - t0;
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const machine = [...fake.servers.values()][0]!.machine!;
      const show = JSON.parse((await cli(['server', 'show', 'vps', '--json'])).stdout) as {
        status: string;
        host: string;
        hostKeyFingerprint: string;
      };
      expect(show).toMatchObject({
        status: 'active',
        host: machine.ip,
        hostKeyFingerprint: fingerprintOf(machine.hostKey),
      });
      // The injected key is the one the machine serves; provisioning ran on it.
      expect((await machine.vps!.sh('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')).stdout).toContain(
        show.hostKeyFingerprint,
      );
      expect((await machine.vps!.sh('systemctl is-active docker caddy fail2ban')).stdout.trim().split('\n')).toEqual([
        'active',
        'active',
        'active',
      ]);

      // OpenSSH trusts it too, from infrakt's known_hosts (strict checking): the image travels without a registry.
      t0 = Date.now();
      const load = spawnSync(
        'sh',
        [
          '-c',
          '"$1" save infrakt-test/web:1 | ssh -i "$2" -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$3" -o LogLevel=ERROR root@"$4" docker load',
          'sh',
          dockerBin(),
          key,
          join(home, 'known_hosts'),
          machine.ip,
        ],
        { encoding: 'utf8', timeout: 300_000 },
      );
      expect(load.status, `${load.stdout}${load.stderr}`).toBe(0);
      for (const args of [
        ['server', 'set', 'vps', '--pull-policy', 'never', '--proxy-tls', 'off'],
        [
          'app',
          'create',
          '--server',
          'vps',
          '--name',
          'web',
          '--image',
          'infrakt-test/web:1',
          '--port',
          '3000',
          '--domain',
          'web.test',
          '--health-path',
          '/health',
        ],
        ['app', 'deploy', 'web'],
      ]) {
        const x = await cli(args);
        expect(x.code, `${args.join(' ')}: ${x.stderr}`).toBe(0);
      }
      timings.deploy = Date.now() - t0;
      const body = spawnSync('curl', ['-s', '--max-time', '5', '-H', 'Host: web.test', `http://${machine.ip}/`], {
        encoding: 'utf8',
      }).stdout;
      expect(body).toContain('version=v1');

      const d = await cli(['server', 'destroy', 'vps', '--force']);
      expect(d.code, d.stderr).toBe(0);
      expect(fake.servers.size).toBe(0);
      const gone = spawnSync(dockerBin(), ['inspect', machine.vps!.containerId], { encoding: 'utf8' });
      expect(gone.status).not.toBe(0);
      expect(readFileSync(join(home, 'known_hosts'), 'utf8')).not.toContain(machine.hostKey.split(' ')[1]!);
    });
  },
);
