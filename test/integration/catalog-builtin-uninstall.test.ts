// The built-in host entries' uninstall.sh on a real systemd host (the fresh-VPS container over SSH), run by
// `catalog uninstall`'s service. restic-backup and unattended-upgrades are installed for real first (packages
// through the harness's apt cache), unattended-upgrades both on a server without it (its packages go at uninstall)
// and on one that had it with its own 20auto-upgrades (both stay, the file comes back byte for byte, also after a
// second install). swapfile and timesync cannot be installed in a container (no swapon; timesyncd skips itself in
// containers), so the test lays down exactly what their install.sh writes and records, then the real uninstall.sh
// must remove it. A server installed by an older infrakt (no record on the server) keeps what may have been there
// before, and the job log says so. Every uninstall leaves data as docs/catalog.md says, and the record goes.
// node-exporter is covered end to end in test/e2e/catalog-uninstall.test.ts.
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
  const pkgInstalled = (pkg: string) =>
    on(`dpkg -s ${pkg} 2>/dev/null | grep -q "^Status: install ok installed" && echo yes || echo no`);
  /** The output of the last uninstall job. */
  const lastUninstallLog = async () => {
    const jobs = await ctx.jobs.list({});
    const job = jobs.find((j) => j.kind === 'catalog.host-uninstall');
    return (await ctx.jobs.logs(job!.id, { limit: 5000 })).map((l) => l.line).join('\n');
  };
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

  it('unattended-upgrades on a server without it: its apt settings and packages go', async () => {
    expect(await pkgInstalled('unattended-upgrades')).toBe('no');
    await install('unattended-upgrades', {});
    expect(await exists('/etc/apt/apt.conf.d/52infrakt-unattended')).toBe('yes');
    expect(await on('cat /var/lib/infrakt/catalog/unattended-upgrades/packages')).toBe(
      'unattended-upgrades\napt-listchanges',
    );
    await uninstall('unattended-upgrades');
    expect(await exists('/etc/apt/apt.conf.d/52infrakt-unattended')).toBe('no');
    expect(await exists('/etc/apt/apt.conf.d/20auto-upgrades')).toBe('no');
    expect(await pkgInstalled('unattended-upgrades')).toBe('no');
    expect(await pkgInstalled('apt-listchanges')).toBe('no');
    expect(await exists('/var/lib/infrakt/catalog/unattended-upgrades')).toBe('no');
    expect(await on('apt-config dump >/dev/null && echo ok')).toBe('ok');
    expect(await installedIds()).not.toContain('unattended-upgrades');
  });

  it('unattended-upgrades the server had (with its own 20auto-upgrades): installed twice, uninstalled twice, all stays', async () => {
    const own =
      '// the image settings\nAPT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n';
    const pre = await vps.sh(
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -q unattended-upgrades >/dev/null && cat > /etc/apt/apt.conf.d/20auto-upgrades',
      { input: own },
    );
    expect(pre.code, pre.stderr).toBe(0);
    expect(await pkgInstalled('unattended-upgrades')).toBe('yes');
    const before = await on('sha256sum /etc/apt/apt.conf.d/20auto-upgrades');
    await install('unattended-upgrades', {});
    expect(await on('grep -c "Managed by infrakt" /etc/apt/apt.conf.d/20auto-upgrades')).toBe('1');
    // A second install with other values runs install.sh again: the record still holds the image's file.
    expect(await install('unattended-upgrades', { auto_reboot: 'true' })).toMatchObject({ outcome: 'installed' });
    await uninstall('unattended-upgrades');
    expect(await pkgInstalled('unattended-upgrades')).toBe('yes');
    // apt-listchanges was not there: the install added it, the uninstall takes it away again.
    expect(await pkgInstalled('apt-listchanges')).toBe('no');
    expect(await on('sha256sum /etc/apt/apt.conf.d/20auto-upgrades')).toBe(before);
    expect(await exists('/etc/apt/apt.conf.d/52infrakt-unattended')).toBe('no');
    expect(await lastUninstallLog()).toContain('kept unattended-upgrades (there before infrakt)');
    // Uninstalling again (the record on the server is gone) changes nothing and exits 0.
    await record('unattended-upgrades', {});
    await uninstall('unattended-upgrades');
    expect(await pkgInstalled('unattended-upgrades')).toBe('yes');
    expect(await on('sha256sum /etc/apt/apt.conf.d/20auto-upgrades')).toBe(before);
    expect(await installedIds()).not.toContain('unattended-upgrades');
  });

  it('unattended-upgrades installed by an older infrakt (no record on the server): packages stay, the log says so', async () => {
    await on(
      [
        'printf \'// Managed by infrakt (catalog: unattended-upgrades)\\nAPT::Periodic::Unattended-Upgrade "1";\\n\' > /etc/apt/apt.conf.d/20auto-upgrades',
        'printf \'// Managed by infrakt (catalog: unattended-upgrades)\\nUnattended-Upgrade::Automatic-Reboot "true";\\n\' > /etc/apt/apt.conf.d/52infrakt-unattended',
      ].join(' && '),
    );
    await record('unattended-upgrades', {});
    await uninstall('unattended-upgrades');
    expect(await pkgInstalled('unattended-upgrades')).toBe('yes');
    expect(await exists('/etc/apt/apt.conf.d/20auto-upgrades')).toBe('yes');
    expect(await exists('/etc/apt/apt.conf.d/52infrakt-unattended')).toBe('no');
    expect(await lastUninstallLog()).toContain('installed by an older infrakt');
    expect(await installedIds()).not.toContain('unattended-upgrades');
  });

  it('swapfile: the file it created, its fstab line and the swappiness setting go; other fstab lines stay', async () => {
    const swappiness = await on('cat /proc/sys/vm/swappiness');
    // What install.sh writes and records on a server without that swap file (swapon cannot run in a container).
    await on(
      [
        'printf "# keep me\\n/dev/sdz1 /mnt/x ext4 defaults 0 2\\n" >> /etc/fstab',
        'dd if=/dev/zero of=/var/ikt-swap bs=1M count=1 status=none && chmod 600 /var/ikt-swap',
        'echo "/var/ikt-swap none swap sw 0 0" >> /etc/fstab',
        'echo "vm.swappiness = 10" > /etc/sysctl.d/60-infrakt-swap.conf',
        'mkdir -p /var/lib/infrakt/catalog/swapfile',
        'echo /var/ikt-swap > /var/lib/infrakt/catalog/swapfile/created',
        'echo /var/ikt-swap > /var/lib/infrakt/catalog/swapfile/fstab',
        `echo ${swappiness} > /var/lib/infrakt/catalog/swapfile/swappiness`,
      ].join(' && '),
    );
    await record('swapfile', { size_mb: '128', swappiness: '10', path: '/var/ikt-swap' });
    await uninstall('swapfile');
    expect(await exists('/var/ikt-swap')).toBe('no');
    expect(await exists('/etc/sysctl.d/60-infrakt-swap.conf')).toBe('no');
    expect(await on('cat /proc/sys/vm/swappiness')).toBe(swappiness);
    const fstab = await on('cat /etc/fstab');
    expect(fstab).not.toContain('/var/ikt-swap');
    expect(fstab).toContain('# keep me\n/dev/sdz1 /mnt/x ext4 defaults 0 2');
    expect(await installedIds()).not.toContain('swapfile');
  });

  it('swapfile: a swap file the server had before stays with its fstab line; so does one of an older infrakt', async () => {
    const swappiness = await on('cat /proc/sys/vm/swappiness');
    await on(
      [
        'dd if=/dev/zero of=/var/ikt-own-swap bs=1M count=1 status=none && chmod 600 /var/ikt-own-swap',
        'echo "/var/ikt-own-swap none swap sw 0 0" >> /etc/fstab',
        'mkdir -p /var/lib/infrakt/catalog/swapfile',
        'echo /var/ikt-own-swap > /var/lib/infrakt/catalog/swapfile/existed',
        `echo ${swappiness} > /var/lib/infrakt/catalog/swapfile/swappiness`,
        'echo "vm.swappiness = 10" > /etc/sysctl.d/60-infrakt-swap.conf',
      ].join(' && '),
    );
    await record('swapfile', { size_mb: '128', swappiness: '10', path: '/var/ikt-own-swap' });
    await uninstall('swapfile');
    expect(await exists('/var/ikt-own-swap')).toBe('yes');
    expect(await on('cat /etc/fstab')).toContain('/var/ikt-own-swap none swap sw 0 0');
    expect(await exists('/etc/sysctl.d/60-infrakt-swap.conf')).toBe('no');
    expect(await lastUninstallLog()).toContain('kept the swap file /var/ikt-own-swap (there before infrakt)');
    // No record on the server (an older infrakt): the file is left, and the log says so.
    await record('swapfile', { size_mb: '128', swappiness: '10', path: '/var/ikt-own-swap' });
    await uninstall('swapfile');
    expect(await exists('/var/ikt-own-swap')).toBe('yes');
    expect(await lastUninstallLog()).toContain('installed by an older infrakt');
    await on('rm -f /var/ikt-own-swap && sed -i "\\|^/var/ikt-own-swap |d" /etc/fstab');
  });

  it('timesync refuses a server that keeps its time with another daemon (apt would remove it); nothing changes', async () => {
    expect(await pkgInstalled('systemd-timesyncd')).toBe('no');
    // A package providing time-daemon, as chrony or ntpsec do (built here: nothing is downloaded).
    await on(
      [
        'mkdir -p /tmp/ikt-timed/DEBIAN',
        "printf 'Package: ikt-test-timed\\nVersion: 1\\nArchitecture: all\\nMaintainer: t <t@invalid>\\nProvides: time-daemon\\nDescription: test\\n' > /tmp/ikt-timed/DEBIAN/control",
        'dpkg-deb -b /tmp/ikt-timed /tmp/ikt-timed.deb >/dev/null && dpkg -i /tmp/ikt-timed.deb >/dev/null',
      ].join(' && '),
    );
    expect(await pkgInstalled('ikt-test-timed')).toBe('yes');
    const zone = await on('readlink /etc/localtime; cat /etc/timezone 2>/dev/null');
    const err = await install('timesync', { servers: '127.0.0.1', timezone: 'Europe/Paris' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'STATE' });
    expect(err.message).toContain('installer timesync exited 3');
    expect(await pkgInstalled('ikt-test-timed')).toBe('yes');
    expect(await pkgInstalled('systemd-timesyncd')).toBe('no');
    expect(await on('readlink /etc/localtime; cat /etc/timezone 2>/dev/null')).toBe(zone);
    expect(await exists('/etc/systemd/timesyncd.conf.d/60-infrakt.conf')).toBe('no');
    const jobs = await ctx.jobs.list({});
    const log = await ctx.jobs.logs(jobs.find((j) => j.kind === 'catalog.host-install')!.id, { limit: 5000 });
    expect(log.map((l) => l.line).join('\n')).toContain('this server keeps its time with ikt-test-timed');
    await on(
      'dpkg -r ikt-test-timed >/dev/null; rm -rf /tmp/ikt-timed /tmp/ikt-timed.deb /var/lib/infrakt/catalog/timesync',
    );
    // The failed run is recorded as such; the next tests start without it.
    expect((await listInstalled(ctx)).find((i) => i.entry === 'timesync')).toBeDefined();
    await ctx.store.db.deleteFrom('catalog_host_installs').where('entry_id', '=', 'timesync').execute();
  });

  it('timesync: infrakt’s NTP list goes; the time zone the server had comes back', async () => {
    // What install.sh writes and records (timesyncd skips itself in a container): the zone files backed up first.
    await on(
      [
        'ln -sf /usr/share/zoneinfo/Europe/Paris /etc/localtime && echo Europe/Paris > /etc/timezone',
        'S=/var/lib/infrakt/catalog/timesync && mkdir -p $S/backup/etc',
        'cp -a /etc/localtime /etc/timezone $S/backup/etc/',
        'printf "/etc/systemd/timesyncd.conf.d/60-infrakt.conf\\n/etc/localtime\\n/etc/timezone\\n" > $S/files',
        'mkdir -p /etc/systemd/timesyncd.conf.d',
        'printf "# Managed by infrakt (catalog: timesync)\\n[Time]\\nNTP=127.0.0.1\\n" > /etc/systemd/timesyncd.conf.d/60-infrakt.conf',
        'ln -sf /usr/share/zoneinfo/UTC /etc/localtime && echo UTC > /etc/timezone',
      ].join(' && '),
    );
    await record('timesync', { servers: '127.0.0.1', timezone: 'UTC' });
    await uninstall('timesync');
    expect(await exists('/etc/systemd/timesyncd.conf.d/60-infrakt.conf')).toBe('no');
    expect(await on('cat /etc/timezone')).toBe('Europe/Paris');
    expect(await on('readlink /etc/localtime')).toBe('/usr/share/zoneinfo/Europe/Paris');
    expect(await installedIds()).toEqual([]);
  });

  it('timesync of an older infrakt (no record): its NTP list goes, the time zone is left and the log says so', async () => {
    await on(
      'mkdir -p /etc/systemd/timesyncd.conf.d && printf "[Time]\\nNTP=127.0.0.1\\n" > /etc/systemd/timesyncd.conf.d/60-infrakt.conf && echo UTC > /etc/timezone',
    );
    await record('timesync', { servers: '127.0.0.1', timezone: 'UTC' });
    await uninstall('timesync');
    expect(await exists('/etc/systemd/timesyncd.conf.d/60-infrakt.conf')).toBe('no');
    expect(await on('cat /etc/timezone')).toBe('UTC');
    expect(await lastUninstallLog()).toContain('no record of the time zone before infrakt');
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
