// The server-side backup script (what `db backup` and the schedule run) through a real /bin/sh, with a stub
// `docker` on PATH standing in for the container: success writes file + sidecar + status atomically, pruning
// keeps N, and every failure (container down, dump error, empty or truncated dump, corrupt archive) exits 1 with
// the reason, records it, and leaves no partial file. Then the readers of the same protocol (run output, directory
// listing, sidecar, last scheduled runs), fed with what the real script wrote and printed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { render } from '../../src/core/cmd/index.js';
import {
  listBackupDir,
  parseBackupListing,
  parseBackupRun,
  parseLastScheduledRuns,
  parseSidecar,
  readLastScheduledRuns,
  renderBackupScript,
} from '../../src/core/commands/db-backup.js';
import type { DbType } from '../../src/core/schemas/app.js';

const base = mkdtempSync(join(tmpdir(), 'ikt-test-bkscript-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const bin = join(base, 'bin');
mkdirSync(bin);
// docker inspect → $STUB_RUNNING; docker exec … → the bytes of $STUB_DUMP (or exit $STUB_RC).
writeFileSync(
  join(bin, 'docker'),
  `#!/bin/sh
case $1 in
  inspect) echo "$STUB_RUNNING" ;;
  exec) if [ "\${STUB_RC:-0}" != 0 ]; then echo "stub dump error" >&2; exit "$STUB_RC"; fi; cat "$STUB_DUMP" ;;
  *) exit 99 ;;
esac
`,
);
chmodSync(join(bin, 'docker'), 0o755);

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(base, 'root-'));
});

function setup(type: DbType, name = 'mydb') {
  const script = join(root, `${name}-backup.sh`);
  writeFileSync(script, renderBackupScript({ name, type, root }));
  const dir = join(root, 'backups', name);
  const run = (args: string[], env: { running?: string; dump?: Buffer | string; rc?: number }) => {
    const dumpFile = join(base, `dump-${Math.random()}`);
    writeFileSync(dumpFile, env.dump ?? '');
    return spawnSync('/bin/sh', [script, ...args], {
      encoding: 'utf8',
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        STUB_RUNNING: env.running ?? 'true',
        STUB_DUMP: dumpFile,
        STUB_RC: String(env.rc ?? 0),
      },
    });
  };
  const files = () => readdirSync(dir).sort();
  const status = (t = 'manual') => JSON.parse(readFileSync(join(dir, `last-${t}.json`), 'utf8'));
  return { run, dir, files, status };
}

const MYSQL_OK = '-- MySQL dump\nCREATE TABLE t (id int);\n-- Dump completed on 2026-11-22  3:00:00\n';
const RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.alloc(64, 7)]);
const MONGO = Buffer.concat([Buffer.from([0x6d, 0xe2, 0x99, 0x81]), Buffer.alloc(64, 1)]);

describe('backup.sh', () => {
  it('mysql: gzips, verifies, writes the sidecar (size, sha256) and the status, prints the result', () => {
    const s = setup('mysql');
    const r = s.run(['manual'], { dump: MYSQL_OK });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const m = /^BACKUP (\d{8}T\d{6}Z\.sql\.gz) (\d+) ([0-9a-f]{64})$/m.exec(r.stdout);
    expect(m).not.toBeNull();
    const [, file, size, sha] = m!;
    const data = readFileSync(join(s.dir, file!));
    expect(data.length).toBe(Number(size));
    expect(createHash('sha256').update(data).digest('hex')).toBe(sha);
    expect(JSON.parse(readFileSync(join(s.dir, `${file}.json`), 'utf8'))).toMatchObject({
      file,
      type: 'mysql',
      size: Number(size),
      sha256: sha,
      trigger: 'manual',
      verified: true,
    });
    expect(s.status()).toMatchObject({ trigger: 'manual', status: 'ok', file });
    expect(s.files()).toEqual([file, `${file}.json`, 'last-manual.json'].sort());
  });

  it('mysql: a dump cut short (no completion trailer) fails verification and keeps nothing', () => {
    const s = setup('mysql');
    const r = s.run(['manual'], { dump: '-- MySQL dump\nCREATE TABLE t (id' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('backup failed: verification of the mysql backup failed');
    expect(s.files()).toEqual(['last-manual.json']);
    expect(s.status()).toMatchObject({ status: 'failed', message: 'verification of the mysql backup failed' });
  });

  it('redis: checks the REDIS magic; garbage fails', () => {
    const s = setup('redis');
    expect(s.run(['manual'], { dump: RDB }).status).toBe(0);
    const bad = s.run(['manual'], { dump: 'not an rdb at all' });
    expect(bad.status).toBe(1);
    expect(s.files().filter((f) => f.endsWith('.rdb.gz'))).toHaveLength(1);
  });

  it('mongo: checks the archive magic', () => {
    const s = setup('mongo');
    expect(s.run(['manual'], { dump: MONGO }).status).toBe(0);
    expect(s.run(['manual'], { dump: Buffer.alloc(64, 1) }).status).toBe(1);
  });

  it('fails when the container is not running, when the dump fails, or is empty — never a partial file', () => {
    const s = setup('mysql');
    const down = s.run(['manual'], { running: 'false', dump: MYSQL_OK });
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('the database container is not running');
    const rc = s.run(['schedule', '3'], { dump: MYSQL_OK, rc: 2 });
    expect(rc.status).toBe(1);
    expect(rc.stderr).toContain('the dump exited with status 2');
    expect(s.status('schedule')).toMatchObject({
      trigger: 'schedule',
      status: 'failed',
      message: 'the dump exited with status 2',
    });
    const empty = s.run(['manual'], { dump: '' });
    expect(empty.stderr).toContain('the dump is empty');
    expect(s.files()).toEqual(['last-manual.json', 'last-schedule.json']);
  });

  it('prunes to keep (newest kept, with their sidecars)', () => {
    const s = setup('redis');
    // Older backups already there (names sort by time).
    mkdirSync(s.dir, { recursive: true });
    for (const ts of ['20200101T000000Z', '20200102T000000Z', '20200103T000000Z']) {
      writeFileSync(join(s.dir, `${ts}.rdb.gz`), 'x');
      writeFileSync(join(s.dir, `${ts}.rdb.gz.json`), '{}');
    }
    const r = s.run(['schedule', '2'], { dump: RDB });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('pruned 20200102T000000Z.rdb.gz');
    expect(r.stdout).toContain('pruned 20200101T000000Z.rdb.gz');
    const left = s.files().filter((f) => f.endsWith('.rdb.gz'));
    expect(left).toHaveLength(2);
    expect(left[0]).toBe('20200103T000000Z.rdb.gz');
    expect(s.files()).toContain('20200103T000000Z.rdb.gz.json');
    expect(s.files()).not.toContain('20200101T000000Z.rdb.gz.json');
  });

  it('refuses bad arguments and a second concurrent run', () => {
    const s = setup('redis');
    expect(s.run(['weekly'], { dump: RDB }).status).toBe(2);
    expect(s.run(['manual', '-1'], { dump: RDB }).status).toBe(2);
    mkdirSync(join(s.dir, '.lock'), { recursive: true });
    writeFileSync(join(s.dir, '.lock', 'pid'), String(process.pid));
    const busy = s.run(['manual'], { dump: RDB });
    expect(busy.status).toBe(1);
    expect(busy.stderr).toContain('another backup of this database is running');
    expect(readdirSync(join(s.dir, '.lock'))).toEqual(['pid']);
    // A lock left by a dead process is taken over.
    writeFileSync(join(s.dir, '.lock', 'pid'), '999999999');
    expect(s.run(['manual'], { dump: RDB }).status).toBe(0);
  });

  it('quotes the values it embeds (a root with a quote and a $ stays literal)', () => {
    const odd = join(root, "we'ird $(touch MARK)");
    mkdirSync(odd);
    const script = join(odd, 'b.sh');
    writeFileSync(script, renderBackupScript({ name: 'q', type: 'redis', root: odd }));
    const dump = join(base, 'rdb');
    writeFileSync(dump, RDB);
    const r = spawnSync('/bin/sh', [script, 'manual'], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: `${bin}:/usr/bin:/bin`, STUB_RUNNING: 'true', STUB_DUMP: dump, STUB_RC: '0' },
    });
    expect(r.status).toBe(0);
    expect(readdirSync(join(odd, 'backups', 'q')).some((f) => f.endsWith('.rdb.gz'))).toBe(true);
    expect(readdirSync(root)).not.toContain('MARK');
  });
});

describe('protocol readers', () => {
  const lines = (r: { stdout: string; stderr: string }) => `${r.stdout}${r.stderr}`.split('\n').filter(Boolean);
  const sh = (cmd: Parameters<typeof render>[0]) =>
    spawnSync('/bin/sh', ['-c', render(cmd)], { encoding: 'utf8' }).stdout;

  it('a run: the BACKUP line (file, size, sha256) and the pruned files; a failure: the reason', () => {
    const s = setup('redis');
    mkdirSync(s.dir, { recursive: true });
    writeFileSync(join(s.dir, '20200101T000000Z.rdb.gz'), 'x');
    const ok = s.run(['manual', '1'], { dump: RDB });
    const run = parseBackupRun(lines(ok));
    const file = s.files().find((f) => f.endsWith('.rdb.gz'))!;
    const data = readFileSync(join(s.dir, file));
    expect(run).toEqual({
      done: { file, size: data.length, sha256: createHash('sha256').update(data).digest('hex') },
      failure: null,
      pruned: ['20200101T000000Z.rdb.gz'],
    });
    const bad = s.run(['manual'], { dump: 'not an rdb at all' });
    expect(parseBackupRun(lines(bad))).toEqual({
      done: null,
      failure: 'verification of the redis backup failed',
      pruned: [],
    });
  });

  it('a listing: backups newest first with their sidecars, unverified without one, and the last runs', () => {
    const s = setup('mysql');
    expect(s.run(['manual'], { dump: MYSQL_OK }).status).toBe(0);
    const taken = s.files().find((f) => f.endsWith('.sql.gz'))!;
    const sidecar = JSON.parse(readFileSync(join(s.dir, `${taken}.json`), 'utf8'));
    writeFileSync(join(s.dir, '20200101T000000Z.sql.gz'), 'no sidecar');
    writeFileSync(join(s.dir, '20200102T000000Z.sql.gz'), 'damaged sidecar');
    writeFileSync(join(s.dir, '20200102T000000Z.sql.gz.json'), '{"sha256": ');
    writeFileSync(join(s.dir, 'notes.txt'), 'not a backup');
    const listing = parseBackupListing(sh(listBackupDir(s.dir)));
    expect(listing).toEqual({
      backups: [
        {
          name: taken,
          size: sidecar.size,
          sha256: sidecar.sha256,
          createdAt: sidecar.createdAt,
          trigger: 'manual',
          verified: true,
        },
        { name: '20200102T000000Z.sql.gz', size: null, sha256: null, createdAt: null, trigger: null, verified: false },
        { name: '20200101T000000Z.sql.gz', size: null, sha256: null, createdAt: null, trigger: null, verified: false },
      ],
      lastManual: s.status('manual'),
      lastScheduled: null,
    });
    expect(parseBackupListing(sh(listBackupDir(join(s.dir, 'missing'))))).toEqual({
      backups: [],
      lastManual: null,
      lastScheduled: null,
    });
  });

  it('a sidecar: its checksum and size, or null when it is not a JSON object', () => {
    const s = setup('redis');
    s.run(['manual'], { dump: RDB });
    const file = s.files().find((f) => f.endsWith('.rdb.gz'))!;
    const side = parseSidecar(readFileSync(join(s.dir, `${file}.json`), 'utf8'));
    expect(side).toMatchObject({ size: readFileSync(join(s.dir, file)).length });
    expect(side?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(parseSidecar('{"sha256": ')).toBeNull();
    expect(parseSidecar('null')).toBeNull();
    expect(parseSidecar('42')).toBeNull();
  });

  it('last scheduled runs: one status per directory, in order (ok, failed, never, unreadable)', () => {
    const ok = setup('redis', 'a');
    ok.run(['schedule', '0'], { dump: RDB });
    const failed = setup('redis', 'b');
    failed.run(['schedule', '0'], { dump: 'garbage' });
    const never = join(root, 'backups', 'c');
    const unreadable = join(root, 'backups', 'd');
    mkdirSync(unreadable, { recursive: true });
    writeFileSync(join(unreadable, 'last-schedule.json'), '{oops\n');
    const dirs = [ok.dir, failed.dir, never, unreadable];
    expect(parseLastScheduledRuns(sh(readLastScheduledRuns(dirs)), dirs.length)).toEqual([
      { status: 'ok', at: ok.status('schedule').finishedAt, message: null },
      {
        status: 'failed',
        at: failed.status('schedule').finishedAt,
        message: 'verification of the redis backup failed',
      },
      { status: 'never', at: null, message: null },
      { status: 'unknown', at: null, message: 'unreadable status file' },
    ]);
  });
});
