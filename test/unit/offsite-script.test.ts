// The scheduled off-site script run by a real /bin/sh against a stand-in `restic` that records its calls: it pushes
// exactly the backup the schedule just made (with its sidecar), checks the snapshot, applies retention, and records
// ok/failed in last-offsite.json; hostile names stay data.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resticRepo } from '../../src/core/commands/restic.js';
import { renderCronFile, renderServiceUnit } from '../../src/core/plans/db-backup-schedule.js';
import { offsiteLayout, renderOffsiteScript } from '../../src/core/plans/offsite-script.js';
import { removeDir, tempDir } from '../helpers/state.js';

let root: string;
let bin: string;
const name = 'shop';
const FILE = '20261122T031500Z.sql.gz';

function fakeRestic(opts: { backupExit?: number; lsHas?: boolean } = {}) {
  // Logs each call's argv on one line; answers like restic 0.14 would.
  writeFileSync(
    join(bin, 'restic'),
    [
      '#!/bin/sh',
      `echo "$*" >>${JSON.stringify(join(root, 'calls'))}`,
      '[ -f "$RESTIC_PASSWORD_FILE" ] || { echo "no password file" >&2; exit 9; }',
      'for a in "$@"; do last=$a; done',
      'case " $* " in',
      `  *" backup "*) [ ${opts.backupExit ?? 0} = 0 ] || exit ${opts.backupExit ?? 0}; echo '{"message_type":"summary","snapshot_id":"abcdef12"}' ;;`,
      `  *" ls "*) ${opts.lsHas === false ? 'echo /elsewhere' : `echo "snapshot abcdef12"; echo ${JSON.stringify(`${root}/backups/${name}/${FILE}`)}`} ;;`,
      'esac',
      'exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'restic'), 0o755);
}

function setup(retention: { daily?: number } | null) {
  const dir = `${root}/backups/${name}`;
  const o = offsiteLayout(root, name);
  mkdirSync(o.credDir, { recursive: true });
  writeFileSync(join(o.credDir, 'password'), 'pw');
  writeFileSync(join(dir, FILE), 'dump');
  writeFileSync(join(dir, `${FILE}.json`), '{}');
  writeFileSync(
    join(dir, 'last-schedule.json'),
    `{"trigger":"schedule","status":"ok","startedAt":"a","finishedAt":"b","message":"","file":"${FILE}"}\n`,
  );
  const script = renderOffsiteScript({
    name,
    root,
    host: "prod-1'$(touch PWNED)",
    target: 'nas',
    repo: resticRepo({ kind: 'local', path: `${root}/repo` }, o.credDir),
    retention,
  });
  writeFileSync(o.script, script, { mode: 0o700 });
  return o;
}

const runScript = (script: string) =>
  spawnSync('/bin/sh', [script, 'schedule'], {
    env: { PATH: `${bin}:/usr/bin:/bin` },
    cwd: root,
    encoding: 'utf8',
  });

beforeEach(() => {
  root = tempDir();
  bin = join(root, 'bin');
  mkdirSync(bin);
});
afterEach(() => removeDir(root));

describe('offsite.sh', () => {
  it('pushes the backup the schedule made, checks it, applies retention, records ok', () => {
    fakeRestic();
    const o = setup({ daily: 7 });
    const r = runScript(o.script);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`OFFSITE ${FILE} abcdef12`);
    const calls = readFileSync(join(root, 'calls'), 'utf8').trim().split('\n');
    const dir = `${root}/backups/${name}`;
    expect(calls).toEqual([
      `-r ${root}/repo cat config`,
      `-r ${root}/repo backup --json --host prod-1'$(touch PWNED) --tag infrakt --tag db:shop -- ${dir}/${FILE} ${dir}/${FILE}.json`,
      `-r ${root}/repo ls abcdef12`,
      `-r ${root}/repo forget --json --host prod-1'$(touch PWNED) --tag db:shop --group-by host,tags --keep-daily 7 --prune`,
    ]);
    const status = JSON.parse(readFileSync(o.status, 'utf8')) as Record<string, string>;
    expect(status).toMatchObject({ status: 'ok', snapshot: 'abcdef12', target: 'nas' });
    expect(existsSync(join(root, 'PWNED'))).toBe(false);
  });

  it('records a failed push (and exits 1) when restic backup fails; no retention then', () => {
    fakeRestic({ backupExit: 1 });
    const o = setup({ daily: 7 });
    const r = runScript(o.script);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/off-site backup failed: restic backup to nas failed/);
    expect(JSON.parse(readFileSync(o.status, 'utf8'))).toMatchObject({ status: 'failed', snapshot: '' });
    expect(readFileSync(join(root, 'calls'), 'utf8')).not.toContain('forget');
  });

  it('fails when the snapshot does not hold the file, and when there is no verified backup', () => {
    fakeRestic({ lsHas: false });
    const o = setup(null);
    expect(runScript(o.script).stderr).toMatch(/does not hold/);
    writeFileSync(`${root}/backups/${name}/last-schedule.json`, '{"status":"failed","file":""}\n');
    const r = runScript(o.script);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no verified backup to push/);
  });

  it('runs after backup.sh in the systemd unit and the cron line, only when it succeeded', () => {
    const i = { name, type: 'mariadb' as const, root: '/opt/infrakt' };
    const unit = renderServiceUnit(i, 7, '/opt/infrakt/backups/shop/offsite.sh');
    expect(unit).toContain(
      'ExecStart=/bin/sh /opt/infrakt/backups/shop/backup.sh schedule 7\nExecStart=/bin/sh /opt/infrakt/backups/shop/offsite.sh schedule\n',
    );
    expect(renderServiceUnit(i, 7)).not.toContain('offsite');
    const cron = renderCronFile(i, '0 3 * * *', 7, '/opt/infrakt/backups/shop/offsite.sh');
    expect(cron).toContain(
      '0 3 * * * root { /bin/sh /opt/infrakt/backups/shop/backup.sh schedule 7 && /bin/sh /opt/infrakt/backups/shop/offsite.sh schedule; } >>/opt/infrakt/backups/shop/cron.log 2>&1',
    );
    // The cron line is valid sh.
    execFileSync('/bin/sh', [
      '-n',
      '-c',
      cron
        .split('\n')
        .find((l) => l.startsWith('0 3'))!
        .replace(/^0 3 \* \* \* root /, ''),
    ]);
  });
});
