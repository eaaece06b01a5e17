// The systemd schedule on a real systemd host (the fresh-VPS container, systemd as PID 1): the timer and
// service infrakt installs over SSH are accepted by systemd, the timer is enabled and active, starting the
// service runs the backup script, pruning keeps --keep, a failed run is reported, and --unschedule removes
// the units. The VPS has no Docker (installing it takes minutes): its `docker` is a stub that answers like a
// running redis container (`inspect` → true, `exec` → an RDB), so the dump itself is not what this file
// tests — the harness-server tests (db-redis, db-postgres) take real dumps from real containers.
// A schedule with --target pushes each run off-site with real restic (Debian's) to an SFTP target: the VPS's own
// sshd, host key pinned from the VPS; retention applies; --unschedule removes the credentials kept for it.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { offsiteStatuses } from '../../src/services/backup-targets/status.js';
import { addTarget, revealRepoPassword } from '../../src/services/backup-targets/targets.js';
import { prepareSchedule, scheduledStatuses } from '../../src/services/databases/backups-schedule.js';
import { prepareCreateDatabase } from '../../src/services/databases/create.js';
import { listDatabases } from '../../src/services/databases/databases.js';
import type { Ctx } from '../../src/services/shared/context.js';
import { runPlan } from '../../src/services/shared/job-plan.js';
import { getClientKeys } from '../harness/sshd.js';
import type { Vps } from '../harness/vps/start-vps.js';
import { shouldRunVpsTests, startVpsServer, type VpsServer } from '../harness/vps/vps-server.js';

const runIt = await shouldRunVpsTests();

const STUB_DOCKER = `#!/bin/sh
# test stub standing in for a running redis container
case $1 in
  inspect) if [ -e /run/ikt-db-down ]; then exit 1; fi; echo true ;;
  exec) printf 'REDIS0010'; head -c 256 /dev/zero ;;
  *) exit 99 ;;
esac
`;

describe.skipIf(!runIt)('db: scheduled backups with a systemd timer on a systemd host', () => {
  let server: VpsServer;
  let vps: Vps;
  let ctx: Ctx;
  const ROOT = '/opt/infrakt';

  beforeAll(async () => {
    server = await startVpsServer({ root: ROOT });
    ({ vps, ctx } = server);
    await vps.sh('cat > /usr/local/bin/docker && chmod 755 /usr/local/bin/docker', { input: STUB_DOCKER });
    // The record only (its create job needs Docker, which this host does not have).
    await prepareCreateDatabase(ctx, { server: 'vps', name: 'cache', type: 'redis', version: '7' });
  }, 180_000);

  afterAll(() => server?.close(), 60_000);

  it('installs an enabled, active timer; runs, prunes to --keep and reports a failed run; unschedules', async () => {
    const result = await runPlan(ctx, await prepareSchedule(ctx, 'cache', { cron: '*/5 * * * *', keep: 2 }));
    const unit = result.schedule!.unit;
    expect(result.schedule).toMatchObject({
      mechanism: 'systemd',
      onCalendar: '*-*-* *:00,05,10,15,20,25,30,35,40,45,50,55:00',
    });
    const state1 = await vps.sh(`systemctl is-enabled ${unit}.timer && systemctl is-active ${unit}.timer`);
    expect(state1.stdout.trim().split('\n')).toEqual(['enabled', 'active']);
    const cal = await vps.sh(`systemctl show -p TimersCalendar ${unit}.timer`);
    expect(cal.stdout).toMatch(/OnCalendar=\*-\*-\* \*:00,05,10,.*,55:00/);

    // What the timer triggers, three times: oneshot `systemctl start` returns when the run has finished.
    for (let i = 0; i < 3; i++) {
      const r = await vps.sh(`systemctl start ${unit}.service`, { timeoutMs: 60_000 });
      expect(r.code).toBe(0);
    }
    const files = (await vps.sh(`ls -1 ${ROOT}/backups/cache`)).stdout.trim().split('\n');
    expect(files.filter((f) => /^\d{8}T\d{6}Z\.rdb\.gz$/.test(f))).toHaveLength(2);
    const dbs = await listDatabases(ctx);
    expect((await scheduledStatuses(ctx, dbs)).get(dbs[0]!.id)).toMatchObject({ status: 'ok' });

    await vps.sh('touch /run/ikt-db-down');
    const failed = await vps.sh(`systemctl start ${unit}.service`, { timeoutMs: 60_000 });
    expect(failed.code).not.toBe(0);
    expect((await vps.sh(`systemctl is-failed ${unit}.service`)).stdout.trim()).toBe('failed');
    expect((await scheduledStatuses(ctx, dbs)).get(dbs[0]!.id)).toMatchObject({
      status: 'failed',
      message: 'the database container is not running',
    });
    const journal = await vps.sh(`journalctl -u ${unit}.service --no-pager -n 20`);
    expect(journal.stdout).toContain('backup failed: the database container is not running');

    await runPlan(ctx, await prepareSchedule(ctx, 'cache', { cron: null }));
    const gone = await vps.sh(
      `ls /etc/systemd/system/${unit}.timer /etc/systemd/system/${unit}.service 2>&1; systemctl is-active ${unit}.timer`,
    );
    expect(gone.stdout).toContain('No such file');
    expect(gone.stdout.trim().split('\n').at(-1)).not.toBe('active');
  }, 240_000);

  it('a schedule with --target pushes every run off-site (retention applied); --unschedule removes its credentials', async () => {
    await vps.sh('rm -f /run/ikt-db-down');
    const install = 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q restic >/dev/null';
    if ((await vps.sh(install, { timeoutMs: 300_000 })).code !== 0) {
      await vps.sh('apt-get update -q >/dev/null', { timeoutMs: 300_000 });
      expect((await vps.sh(install, { timeoutMs: 300_000 })).code).toBe(0);
    }
    const keys = getClientKeys();
    await addTarget(ctx, {
      name: 'self',
      sftp: 'root@127.0.0.1:/srv/restic',
      sshKey: new Secret(readFileSync(keys.ed25519, 'utf8')),
    });
    const plan = await prepareSchedule(ctx, 'cache', {
      cron: '0 3 * * *',
      keep: 2,
      offsite: { target: 'self', retention: { daily: 1 } },
    });
    const result = await runPlan(ctx, plan);
    expect(result.schedule).toMatchObject({ target: 'self', retention: { daily: 1 } });
    const unit = result.schedule!.unit;
    const cred = `${ROOT}/backups/cache/.offsite`;
    expect(
      (await vps.sh(`stat -c %a ${cred} ${cred}/password ${cred}/ssh-key ${cred}/known_hosts`)).stdout
        .trim()
        .split('\n'),
    ).toEqual(['700', '600', '600', '600']);
    expect((await vps.sh(`systemctl cat ${unit}.service`)).stdout).toContain(
      `ExecStart=/bin/sh ${ROOT}/backups/cache/offsite.sh schedule`,
    );

    for (let i = 0; i < 2; i++) {
      const r = await vps.sh(`systemctl start ${unit}.service`, { timeoutMs: 120_000 });
      expect(r.code, (await vps.sh(`journalctl -u ${unit}.service --no-pager -n 20`)).stdout).toBe(0);
    }
    // Two runs the same day, --keep-daily 1: exactly one snapshot, holding the newest dump and its sidecar.
    const pw = (await revealRepoPassword(ctx, 'self')).reveal();
    const snaps = await vps.sh('p=$(cat); RESTIC_PASSWORD="$p" restic -r /srv/restic snapshots --json', { input: pw });
    const list = JSON.parse(snaps.stdout) as { tags: string[]; paths: string[]; hostname: string }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ hostname: 'vps', tags: ['infrakt', 'db:cache'] });
    expect(list[0]!.paths.some((p) => /\d{8}T\d{6}Z\.rdb\.gz\.json$/.test(p))).toBe(true);
    const dbs = await listDatabases(ctx);
    expect((await offsiteStatuses(ctx, dbs)).get(dbs[0]!.id)).toMatchObject({
      status: 'ok',
      target: 'self',
      by: 'schedule',
    });

    await runPlan(ctx, await prepareSchedule(ctx, 'cache', { cron: null }));
    expect((await vps.sh(`ls -a ${ROOT}/backups/cache`)).stdout).not.toMatch(/\.offsite|offsite\.sh/);
    // The password is nowhere on the server any more (searched for without putting it on a command line).
    const left = await vps.sh(`grep -rlF -f /dev/stdin ${ROOT} /etc/systemd/system || true`, { input: `${pw}\n` });
    expect(left.stdout.trim()).toBe('');
  }, 600_000);
});
