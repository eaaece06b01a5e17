// `server provision` through the built CLI against a real "fresh VPS": Debian trixie with systemd
// as PID 1 in a container (test/harness/vps), reached over its Docker bridge IP.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';
import { dockerBin, ensureVpsImage, startVps, type Vps } from '../harness/vps/start-vps.js';
import { removeDir, tempDir } from '../helpers/state.js';

const isRoot = process.getuid?.() === 0;
const hasDocker = (() => {
  try {
    execFileSync(dockerBin(), ['version', '--format', '{{.Server.Version}}'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();
// Under CI a missing tool fails the suite (beforeAll throws); on a laptop without root/Docker it is skipped.
const runnable = (isRoot && hasDocker) || process.env.CI === 'true';

interface StepView {
  name: string;
  status: string;
  detail: string;
}
interface ProvisionJson {
  jobId: string;
  os: string;
  steps: StepView[];
  changed: number;
  durationMs: number;
}

/** True when a TCP connection from this host to ip:port opens within `ms`. */
function reachable(ip: string, port: number, ms = 3000): Promise<boolean> {
  return new Promise((done) => {
    const s = connect({ host: ip, port, timeout: ms });
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('timeout', () => {
      s.destroy();
      done(false);
    });
    s.once('error', () => done(false));
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Provisioning installs packages: on a loaded machine a step takes minutes, not seconds.
describe.skipIf(!runnable)(
  'server provision on a fresh Debian 13 VPS (systemd container, built CLI)',
  { timeout: 600_000 },
  () => {
    let vps: Vps;
    let home: string;
    let keys: string;
    let key: string;
    const timings: Record<string, number> = {};

    const cli = (args: string[], timeoutMs = 600_000) => runCli(args, { home, timeoutMs });
    // `server add` probes the host; a probe that lost its channel (see notes/ssh-exit-race.md) is retried.
    const addServer = async (args: string[]) => {
      let r = await cli(['server', 'add', ...args]);
      for (let i = 0; i < 2 && r.code === 10 && /lost while running/.test(r.stderr); i++) {
        await cli(['server', 'remove', args[args.indexOf('--name') + 1] ?? '', '--force']);
        r = await cli(['server', 'add', ...args]);
      }
      return r;
    };
    const provision = async (name: string, extra: string[] = []) => {
      const r = await cli(['server', 'provision', name, '--json', ...extra]);
      if (r.code !== 0) throw new Error(`provision ${name} failed (exit ${r.code}): ${r.stderr}`);
      return JSON.parse(r.stdout) as ProvisionJson;
    };
    const show = async (name: string) =>
      JSON.parse((await cli(['server', 'show', name, '--json'])).stdout) as {
        status: string;
        lastError: string | null;
      };
    // Packages (name, version, state) and the main PIDs of the services: equal before/after = nothing reinstalled or restarted.
    const hostState = async () =>
      (
        await vps.sh(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a JS template
          "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' | sha256sum; systemctl show -p MainPID --value docker caddy fail2ban; stat -c %Y /etc/docker/daemon.json /etc/fail2ban/jail.d/infrakt.local /etc/systemd/system/caddy.service.d/infrakt.conf /etc/ufw/user.rules",
        )
      ).stdout;

    beforeAll(async () => {
      ensureVpsImage();
      keys = tempDir('ikt-test-vpskeys-');
      key = join(keys, 'id_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'infrakt-test', '-f', key]);
      vps = await startVps({ publicKey: readFileSync(`${key}.pub`, 'utf8') });
      home = makeInfraktHome();
      const add = await addServer(['--name', 'vps', '--host', vps.ip, '--key', key, '--json']);
      expect(add.code, add.stderr).toBe(0);
    }, 900_000);

    afterAll(async () => {
      if (Object.keys(timings).length > 0) console.log(`provision timings (ms): ${JSON.stringify(timings)}`);
      await vps?.stop();
      cleanupHomes();
      if (keys) removeDir(keys);
    });

    it('--dry-run runs the checks and says what would change, changing nothing', async () => {
      const r = await provision('vps', ['--dry-run']);
      expect(r.os).toBe('Debian GNU/Linux 13 (trixie)');
      const byName = Object.fromEntries(r.steps.map((s) => [s.name, s]));
      expect(byName['docker-engine']).toMatchObject({ status: 'would-change' });
      expect(byName['docker-engine']?.detail).toContain('docker.io docker-cli docker-compose');
      expect(byName.firewall?.detail).toBe('would ufw: deny incoming, allow 22/tcp, 80/tcp, 443, enable');
      expect((await vps.sh('command -v docker caddy ufw fail2ban-client')).stdout).toBe('');
      expect((await show('vps')).status).toBe('active');
    });

    it('provisions a fresh host: every step succeeds, services run, ufw allows 22/80/443 only', {
      timeout: 900_000,
    }, async () => {
      const t0 = Date.now();
      const r = await provision('vps');
      timings.first = Date.now() - t0;
      expect(r.steps.map((s) => s.name)).toEqual([
        'apt-update',
        'docker-config',
        'docker-engine',
        'packages',
        'docker',
        'docker-network',
        'directories',
        'caddy',
        'firewall',
        'fail2ban',
        'exposure',
      ]);
      for (const s of r.steps) expect(['changed', 'unchanged']).toContain(s.status);
      expect(r.steps.filter((s) => s.status === 'changed').map((s) => s.name)).toContain('firewall');
      expect((await show('vps')).status).toBe('active');

      const active = await vps.sh('systemctl is-active docker caddy fail2ban');
      expect(active.stdout.trim().split('\n')).toEqual(['active', 'active', 'active']);
      expect((await vps.sh('docker compose version --short')).code).toBe(0);
      // restic for off-site backups (backup-target), from the distribution.
      expect((await vps.sh('restic version')).stdout).toMatch(/^restic \d+\.\d+/);
      expect((await vps.sh('docker network inspect -f "{{.Name}}" infrakt')).stdout.trim()).toBe('infrakt');
      expect(JSON.parse((await vps.sh('cat /etc/docker/daemon.json')).stdout)['log-opts']).toEqual({
        'max-size': '10m',
        'max-file': '3',
      });
      const ufw = await vps.sh('ufw status');
      expect(ufw.stdout).toContain('Status: active');
      const allowed = ufw.stdout
        .split('\n')
        .filter((l) => l.includes('ALLOW'))
        .map((l) => l.split(/\s+/)[0]);
      expect([...new Set(allowed)].sort()).toEqual(['22/tcp', '443', '80/tcp']);
      expect((await vps.sh('grep -x "DEFAULT_INPUT_POLICY=\\"DROP\\"" /etc/default/ufw')).code).toBe(0);
      // Caddy runs infrakt's config from <root>/caddy, with its data dir owned by the caddy user.
      expect((await vps.sh('systemctl show -p ExecStart --value caddy')).stdout).toContain(
        '/opt/infrakt/caddy/Caddyfile',
      );
      expect(
        (await vps.sh('stat -c "%U %a" /opt/infrakt/caddy/data /opt/infrakt/backups /opt/infrakt/apps')).stdout,
      ).toBe('caddy 700\nroot 700\nroot 750\n');
      expect((await vps.sh('fail2ban-client get sshd journalmatch')).stdout).toContain('_COMM=sshd-session');
    });

    it('the firewall works: a port a process listens on is not reachable from outside, 22 is', async () => {
      const port = 18081;
      const pid = (await vps.sh(`nohup python3 -m http.server ${port} >/dev/null 2>&1 & echo $!`)).stdout.trim();
      expect(pid).toMatch(/^\d+$/);
      await until(
        'the test listener',
        async () => (await vps.sh(`curl -fs -o /dev/null http://127.0.0.1:${port}/`)).code === 0,
        10_000,
      );
      expect(await reachable(vps.ip, port)).toBe(false);
      expect(await reachable(vps.ip, 22)).toBe(true);
      await vps.sh(`kill ${pid}`);
    });

    it('a second provision changes nothing: every step unchanged, nothing reinstalled or restarted', async () => {
      const before = await hostState();
      const t0 = Date.now();
      const r = await provision('vps');
      timings.second = Date.now() - t0;
      expect(r.steps.filter((s) => s.status !== 'unchanged')).toEqual([]);
      expect(r.changed).toBe(0);
      expect(await hostState()).toBe(before);
    });

    it('an app deploys onto the provisioned host and is served by its Caddy through the firewall', async () => {
      // No registry here: the image travels over ssh, and the server never pulls (a pull would leave the machine).
      const load = spawnSync(
        'sh',
        [
          '-c',
          '"$1" save infrakt-test/web:1 | ssh -i "$2" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@"$3" docker load',
          'sh',
          dockerBin(),
          key,
          vps.ip,
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
      expect(load.status, `${load.stdout}${load.stderr}`).toBe(0);
      expect((await vps.sh('docker image inspect -f "{{.Id}}" infrakt-test/web:1')).code).toBe(0);
      expect((await cli(['server', 'set', 'vps', '--pull-policy', 'never'])).code).toBe(0);
      expect((await cli(['server', 'set', 'vps', '--proxy-tls', 'off'])).code).toBe(0);
      const create = await cli([
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
      ]);
      expect(create.code, create.stderr).toBe(0);
      const deploy = await cli(['app', 'deploy', 'web']);
      expect(deploy.code, deploy.stderr).toBe(0);
      const body = await until(
        'the app behind Caddy',
        async () => {
          const r = spawnSync('curl', ['-s', '--max-time', '3', '-H', 'Host: web.test', `http://${vps.ip}/`], {
            encoding: 'utf8',
          });
          return r.stdout.includes('version=v1') ? r.stdout : undefined;
        },
        20_000,
      );
      expect(body).toContain('version=v1');
      // Published on the server's loopback only: provisioning's exposure check still passes.
      const r = await provision('vps');
      expect(r.steps.find((s) => s.name === 'exposure')?.status).toBe('unchanged');
    });

    it('a non-root user with passwordless sudo provisions through sudo -n; one that needs a password gets a clear error', async () => {
      const pub = readFileSync(`${key}.pub`, 'utf8');
      const mk = (user: string, sudoers: string) =>
        vps.sh(
          `useradd -m -s /bin/sh ${user} && install -d -m 700 -o ${user} -g ${user} /home/${user}/.ssh && cat > /home/${user}/.ssh/authorized_keys && chown ${user}: /home/${user}/.ssh/authorized_keys && ${sudoers}`,
          { input: pub },
        );
      expect((await mk('deploy', "echo 'deploy ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/deploy")).code).toBe(0);
      expect((await mk('nopw', 'echo "nopw:secret-pw-1" | chpasswd && usermod -aG sudo nopw')).code).toBe(0);
      for (const user of ['deploy', 'nopw']) {
        const add = await addServer(['--name', `vps-${user}`, '--host', vps.ip, '--user', user, '--key', key]);
        expect(add.code, add.stderr).toBe(0);
      }
      const r = await provision('vps-deploy');
      // The deploy user joins the docker group and owns <root>; everything else was already in place.
      expect(r.steps.filter((s) => s.status === 'changed').map((s) => s.name)).toEqual(['docker', 'directories']);
      expect((await vps.sh('id -nG deploy')).stdout).toContain('docker');
      expect((await provision('vps-deploy')).changed).toBe(0);

      const denied = await cli(['server', 'provision', 'vps-nopw']);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain("'nopw' on vps-nopw cannot use sudo without a password");
      expect(denied.stderr).toContain('NOPASSWD');
    });

    it('a provision failing mid-way leaves the server failed, naming the step and its output; a re-run completes', async () => {
      // A file where provisioning wants a directory: `install -d` cannot fix that by itself.
      await vps.sh('rm -rf /opt/infrakt/backups && echo not-a-dir > /opt/infrakt/backups');
      const r = await cli(['server', 'provision', 'vps']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("provision step 'directories' failed");
      const s = await show('vps');
      expect(s.status).toBe('failed');
      expect(s.lastError).toContain("provision step 'directories' failed");
      expect(s.lastError).toContain('File exists');

      await vps.sh('rm -f /opt/infrakt/backups');
      const again = await provision('vps');
      expect(again.steps.find((x) => x.name === 'directories')?.status).toBe('changed');
      expect(again.steps.find((x) => x.name === 'caddy')?.status).toBe('unchanged');
      expect((await show('vps')).status).toBe('active');
    });

    it('another apt holding the dpkg lock is waited for, not an error', async () => {
      expect((await vps.sh('dpkg --remove --force-depends python3-systemd')).code).toBe(0);
      const lockScript =
        'import fcntl,sys,time; f=open("/var/lib/dpkg/lock-frontend","w"); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(float(sys.argv[1]))';
      const holder = await vps.sh(`nohup python3 -c '${lockScript}' 300 >/dev/null 2>&1 & echo $!`);
      const pid = holder.stdout.trim();
      expect(pid).toMatch(/^\d+$/);
      // The lock is really held (a non-blocking attempt fails) before provisioning starts.
      const probe = `python3 -c 'import fcntl; f=open("/var/lib/dpkg/lock-frontend","w"); fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)'`;
      await until('the lock holder', async () => (await vps.sh(probe)).code !== 0, 10_000);
      const running = cli(['server', 'provision', 'vps', '--json']);
      // apt-get install is up and waiting for the lock: let it wait a moment, then release the lock.
      await until(
        'apt-get install waiting',
        async () => (await vps.sh('pgrep -f "[a]pt-get .*install"')).code === 0,
        300_000,
      );
      await new Promise((r) => setTimeout(r, 2000));
      await vps.sh(`kill ${pid}`);
      const done = await running;
      expect(done.code, done.stderr).toBe(0);
      const r = JSON.parse(done.stdout) as ProvisionJson;
      expect(r.steps.find((x) => x.name === 'packages')?.status).toBe('changed');
      const logs = await cli(['job', 'logs', r.jobId]);
      expect(logs.stdout).toMatch(/Could not get lock \/var\/lib\/dpkg\/lock-frontend/);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a JS template
      const state = await vps.sh("dpkg-query -W -f='${db:Status-Abbrev}' python3-systemd");
      expect(state.stdout).toBe('ii ');
    });

    it('failed logins from this host get it banned by fail2ban (journald backend)', async () => {
      const jail = async () => (await vps.sh('fail2ban-client status sshd')).stdout;
      expect(await jail()).toMatch(/Currently banned:\s+0/);
      // `timeout`: a connection caught mid-handshake by the ban would hang for minutes.
      for (let i = 0; i < 6; i++) {
        execFileSync('sh', [
          '-c',
          'timeout 5 ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=QUIET -o ConnectTimeout=3 -o PubkeyAuthentication=no "$1" true || true',
          'sh',
          `intruder${i}@${vps.ip}`,
        ]);
      }
      const status = await until(
        'a ban',
        async () => {
          const s = await jail();
          return /Currently banned:\s+1/.test(s) ? s : undefined;
        },
        30_000,
      );
      expect(status).toMatch(/Banned IP list:\s+\d+\.\d+\.\d+\.\d+/);
      // The jail reports the ban before its firewall action has run: poll for the effect.
      await until(
        'port 22 blocked for the banned address',
        async () => ((await reachable(vps.ip, 22)) ? undefined : true),
        20_000,
      );
      await vps.sh('fail2ban-client unban --all');
      expect(await reachable(vps.ip, 22)).toBe(true);
    });
  },
);
