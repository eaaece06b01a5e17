// The built-in host entries' uninstall.sh on a real systemd host (the fresh-VPS container over SSH), run by
// `catalog uninstall`'s service. restic-backup and unattended-upgrades are installed for real first (packages
// through the harness's apt cache). swapfile and timesync cannot be installed in a container (no swapon; timesyncd
// skips itself in containers), so the test lays down exactly what their install.sh writes and records the
// install, then the real uninstall.sh must remove it. Every uninstall leaves data as docs/catalog.md says, and
// the record goes. node-exporter is covered end to end in test/e2e/catalog-uninstall.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareCatalogInstall } from '../../src/services/catalog/install.js';
import { listInstalled } from '../../src/services/catalog/installed.js';
import { prepareCatalogUninstall } from '../../src/services/catalog/uninstall.js';
import type { Ctx } from '../../src/services/shared/context.js';
import { runPlan } from '../../src/services/shared/job-plan.js';
import type { Vps } from '../harness/vps/start-vps.js';
import { shouldRunVpsTests, startVpsServer, type VpsServer } from '../harness/vps/vps-server.js';

const runIt = await shouldRunVpsTests();

describe.skipIf(!runIt)('built-in host entries: uninstall.sh on a systemd host', { timeout: 300_000 }, () => {
  let server: VpsServer;
  let vps: Vps;
  let ctx: Ctx;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    server = await startVpsServer();
    ({ vps, ctx } = server);
  }, 180_000);
  afterAll(async () => {
    if (Object.keys(timings).length) console.log(`built-in uninstall timings (ms): ${JSON.stringify(timings)}`);
    await server?.close();
  }, 60_000);

  const on = async (script: string) => (await vps.sh(script)).stdout.trim();
  const exists = (path: string) => on(`test -e ${path} && echo yes || echo no`);
  const installedIds = async () => (await listInstalled(ctx)).map((i) => i.entry);
  const install = async (entry: string, values: Record<string, string>) => {
    const t0 = Date.now();
    const r = await runPlan(ctx, await prepareCatalogInstall(ctx, { entry, server: 'vps', values }));
    timings[`install ${entry}`] = Date.now() - t0;
    return r;
  };
  const uninstall = async (entry: string) => {
    const t0 = Date.now();
    const { plan } = await prepareCatalogUninstall(ctx, entry, { server: 'vps' });
    const r = await runPlan(ctx, plan);
    timings[`uninstall ${entry}`] = Date.now() - t0;
    return r;
  };
  /** A record as a successful install writes it (non-secret values in the clear: the pre-sealing form). */
  const record = async (entry: string, values: Record<string, string>) => {
    const s = await ctx.store.db.selectFrom('servers').select('id').where('name', '=', 'vps').executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    await ctx.store.db
      .insertInto('catalog_host_installs')
      .values({
        server_id: s.id,
        entry_id: entry,
        version: '1.0.0',
        status: 'installed',
        exit_code: 0,
        job_id: null,
        values_json: JSON.stringify(values),
        values_sealed: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['server_id', 'entry_id']).doUpdateSet({ values_json: JSON.stringify(values), updated_at: now }),
      )
      .execute();
  };

  it('restic-backup: timer and units go; the repository and the password file stay for restores', async () => {
    const r = await install('restic-backup', { repository: '/srv/ikt-restic', paths: '/etc/hostname' });
    expect(r).toMatchObject({ kind: 'host', outcome: 'installed' });
    expect(await on('systemctl is-enabled infrakt-restic.timer')).toBe('enabled');
    expect(await exists('/srv/ikt-restic/config')).toBe('yes');
    await uninstall('restic-backup');
    expect(await on('systemctl is-enabled infrakt-restic.timer 2>/dev/null || echo gone')).toMatch(/gone|not-found/);
    expect(await exists('/etc/systemd/system/infrakt-restic.timer')).toBe('no');
    expect(await exists('/etc/systemd/system/infrakt-restic.service')).toBe('no');
    expect(await exists('/etc/infrakt-restic/env')).toBe('no');
    expect(await exists('/srv/ikt-restic/config')).toBe('yes');
    expect(await on('stat -c %a /etc/infrakt-restic/password')).toBe('600');
    // The kept password still opens the kept repository.
    expect(
      await on(
        'RESTIC_PASSWORD_FILE=/etc/infrakt-restic/password restic -r /srv/ikt-restic cat config >/dev/null && echo ok',
      ),
    ).toBe('ok');
    expect(await installedIds()).not.toContain('restic-backup');
  });

  it('unattended-upgrades: its apt settings and packages go', async () => {
    await install('unattended-upgrades', {});
    expect(await exists('/etc/apt/apt.conf.d/52infrakt-unattended')).toBe('yes');
    await uninstall('unattended-upgrades');
    expect(await exists('/etc/apt/apt.conf.d/52infrakt-unattended')).toBe('no');
    expect(await exists('/etc/apt/apt.conf.d/20auto-upgrades')).toBe('no');
    expect(
      await on(
        'dpkg -s unattended-upgrades 2>/dev/null | grep -q "^Status: install ok installed" && echo yes || echo no',
      ),
    ).toBe('no');
    expect(await on('apt-config dump >/dev/null && echo ok')).toBe('ok');
    expect(await installedIds()).not.toContain('unattended-upgrades');
  });

  it('swapfile: the file, its fstab line and the swappiness setting go; other fstab lines stay', async () => {
    await on(
      [
        'printf "# keep me\\n/dev/sdz1 /mnt/x ext4 defaults 0 2\\n" >> /etc/fstab',
        'dd if=/dev/zero of=/var/ikt-swap bs=1M count=1 status=none && chmod 600 /var/ikt-swap',
        'echo "/var/ikt-swap none swap sw 0 0" >> /etc/fstab',
        'echo "vm.swappiness = 10" > /etc/sysctl.d/60-infrakt-swap.conf',
      ].join(' && '),
    );
    await record('swapfile', { size_mb: '128', swappiness: '10', path: '/var/ikt-swap' });
    await uninstall('swapfile');
    expect(await exists('/var/ikt-swap')).toBe('no');
    expect(await exists('/etc/sysctl.d/60-infrakt-swap.conf')).toBe('no');
    const fstab = await on('cat /etc/fstab');
    expect(fstab).not.toContain('/var/ikt-swap');
    expect(fstab).toContain('# keep me\n/dev/sdz1 /mnt/x ext4 defaults 0 2');
    expect(await installedIds()).not.toContain('swapfile');
  });

  it('timesync: infrakt’s NTP list goes; the time zone stays', async () => {
    await on(
      'mkdir -p /etc/systemd/timesyncd.conf.d && printf "[Time]\\nNTP=127.0.0.1\\n" > /etc/systemd/timesyncd.conf.d/60-infrakt.conf && echo UTC > /etc/timezone',
    );
    await record('timesync', { servers: '127.0.0.1', timezone: 'UTC' });
    await uninstall('timesync');
    expect(await exists('/etc/systemd/timesyncd.conf.d/60-infrakt.conf')).toBe('no');
    expect(await on('cat /etc/timezone')).toBe('UTC');
    expect(await installedIds()).toEqual([]);
  });

  it('a second run of every uninstall.sh on a clean server exits 0 (idempotent)', async () => {
    for (const entry of ['restic-backup', 'unattended-upgrades', 'swapfile', 'timesync', 'node-exporter']) {
      await record(entry, entry === 'restic-backup' ? { repository: '/srv/ikt-restic', password: 'x'.repeat(16) } : {});
      await uninstall(entry);
    }
    expect(await installedIds()).toEqual([]);
  });
});
