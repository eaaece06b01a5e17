// Database command builders as exact strings (the spec of what runs on a server), and the in-container
// scripts run through a real /bin/sh with stub tools: the password reaches mysqldump/mongodump through the
// container's environment or a 0600 config file, never their argv.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { render } from '../../src/core/cmd/index.js';
import * as d from '../../src/core/commands/db-dump.js';

const F = '/opt/infrakt/backups/mydb/x';

describe('dump builders', () => {
  it('postgres: pg_dump custom format in the container (local socket, no password)', () => {
    expect(render(d.dump('postgres', 'mydb', 'mydb'))).toBe(
      "docker exec mydb pg_dump '--format=custom' '--username=postgres' --dbname mydb",
    );
  });
  it('mysql: mysqldump --single-transaction --routines with MYSQL_PWD from the container env', () => {
    expect(render(d.dump('mysql', 'mydb', 'mydb'))).toBe(
      `docker exec mydb sh -c 'export MYSQL_PWD="$MYSQL_ROOT_PASSWORD"; exec mysqldump --user=root --single-transaction --routines --triggers --events --hex-blob --databases "$1"' sh mydb`,
    );
  });
  it('mongo: mongodump --archive with the password in a temp config file', () => {
    expect(render(d.dump('mongo', 'mydb', 'mydb'))).toBe(
      `docker exec mydb sh -c 'set -e; umask 077; cfg=$(mktemp); trap '\\''rm -f "$cfg"'\\'' EXIT; printf '\\''password: "%s"\\n'\\'' "$MONGO_INITDB_ROOT_PASSWORD" >"$cfg"; mongodump --quiet --config="$cfg" --username="$MONGO_INITDB_ROOT_USERNAME" --authenticationDatabase=admin --archive'`,
    );
  });
  it('redis: BGSAVE, wait for LASTSAVE to move, print the RDB', () => {
    const text = render(d.dump('redis', 'cache', 'cache'));
    expect(text.startsWith("docker exec cache sh -c 'set -eu\nlast=$(redis-cli LASTSAVE)\n")).toBe(true);
    expect(d.REDIS_DUMP_SCRIPT).toContain('redis-cli BGSAVE');
    expect(d.REDIS_DUMP_SCRIPT).toContain('while [ "$(redis-cli LASTSAVE)" = "$last" ]');
    expect(d.REDIS_DUMP_SCRIPT).toContain('rdb_last_bgsave_status:ok');
  });
});

describe('verify builders', () => {
  it('postgres: non-empty, PGDMP magic, pg_restore --list reads the TOC', () => {
    expect(render(d.verify('postgres', F, 'mydb'))).toBe(
      `test -s ${F} && head -c 5 -- ${F} | grep -qx PGDMP && { { docker exec -i mydb pg_restore --list < ${F}; } 2> /dev/null; } > /dev/null`,
    );
  });
  it('mysql: gzip -t and the mysqldump completion trailer', () => {
    expect(render(d.verify('mysql', F, 'mydb'))).toBe(
      `test -s ${F} && gzip -t -- ${F} && gzip -dc -- ${F} | tail -n 1 | grep -q '^-- Dump completed'`,
    );
  });
  it('redis: gzip -t and the REDIS magic', () => {
    expect(render(d.verify('redis', F, 'c'))).toBe(
      `test -s ${F} && gzip -t -- ${F} && gzip -dc -- ${F} 2> /dev/null | head -c 5 | od -An -tx1 | tr -d ' \\n' | grep -qx 5245444953`,
    );
  });
  it('mongo: gzip -t and the archive magic 0x8199e26d', () => {
    expect(render(d.verify('mongo', F, 'c'))).toBe(
      `test -s ${F} && gzip -t -- ${F} && gzip -dc -- ${F} 2> /dev/null | head -c 4 | od -An -tx1 | tr -d ' \\n' | grep -qx 6de29981`,
    );
  });
});

describe('restore builders', () => {
  it('postgres: pg_restore --clean in one transaction, from the file on stdin', () => {
    expect(render(d.restore('postgres', 'mydb', 'mydb', '/b/f'))).toBe(
      "docker exec -i mydb pg_restore '--username=postgres' --dbname mydb --clean --if-exists --no-owner --single-transaction --exit-on-error < /b/f",
    );
  });
  it('mysql: gunzip into mysql with MYSQL_PWD from the container env', () => {
    expect(render(d.restore('mysql', 'mydb', 'mydb', '/b/f'))).toBe(
      `gzip -dc -- /b/f | docker exec -i mydb sh -c 'export MYSQL_PWD="$MYSQL_ROOT_PASSWORD"; exec mysql --user=root'`,
    );
  });
  it('mongo: gunzip into mongorestore --archive --drop', () => {
    expect(render(d.restore('mongo', 'mydb', 'mydb', '/b/f'))).toBe(
      `gzip -dc -- /b/f | docker exec -i mydb sh -c 'set -e; umask 077; cfg=$(mktemp); trap '\\''rm -f "$cfg"'\\'' EXIT; printf '\\''password: "%s"\\n'\\'' "$MONGO_INITDB_ROOT_PASSWORD" >"$cfg"; mongorestore --quiet --config="$cfg" --username="$MONGO_INITDB_ROOT_USERNAME" --authenticationDatabase=admin --archive --drop'`,
    );
  });
  it('redis: the RDB goes into the stopped container volume through a helper that never pulls', () => {
    expect(render(d.redisPlaceRdb('c', 'redis:7-alpine', '/b/f', '/data', 'dump.rdb'))).toBe(
      `gzip -dc -- /b/f | docker run --rm -i --pull never --network none --volumes-from c --entrypoint sh redis:7-alpine -c 'cat >"$1/.infrakt-restore.tmp" && mv -f "$1/.infrakt-restore.tmp" "$1/$2"' sh /data dump.rdb`,
    );
  });
});

describe('in-container scripts through a real sh with stub tools', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-dbstub-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const stub = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  const sh = (script: string, args: string[], env: Record<string, string>, input = '') =>
    spawnSync('/bin/sh', ['-c', script, 'sh', ...args], {
      env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
      input,
      encoding: 'utf8',
    });
  const PW = 'S3cr3t-pw_from-env';

  it('mysql: mysqldump sees MYSQL_PWD, the database as its last argument, and no password in argv', () => {
    stub('mysqldump', 'printf "pwd=%s\\n" "$MYSQL_PWD"; printf "arg=%s\\n" "$@"');
    const r = sh(d.MYSQL_DUMP_SCRIPT, ["my'db"], { MYSQL_ROOT_PASSWORD: PW });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`pwd=${PW}`);
    expect(lines.slice(1)).toEqual(
      [
        '--user=root',
        '--single-transaction',
        '--routines',
        '--triggers',
        '--events',
        '--hex-blob',
        '--databases',
        "my'db",
      ].map((a) => `arg=${a}`),
    );
  });

  it('mongo: mongodump reads the password from a 0600 config file that is removed afterwards', () => {
    stub(
      'mongodump',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
      'for a in "$@"; do case $a in --config=*) f=${a#--config=}; stat -c "mode=%a" "$f"; cat "$f"; echo "cfg=$f";; esac; done; printf "arg=%s\\n" "$@"',
    );
    const r = sh(d.MONGO_DUMP_SCRIPT, [], { MONGO_INITDB_ROOT_PASSWORD: PW, MONGO_INITDB_ROOT_USERNAME: 'root' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('mode=600');
    expect(r.stdout).toContain(`password: "${PW}"`);
    const args = r.stdout.split('\n').filter((l) => l.startsWith('arg='));
    expect(args.join('\n')).not.toContain(PW);
    expect(args).toContain('arg=--archive');
    expect(args).toContain('arg=--username=root');
    const cfg = /cfg=(\S+)/.exec(r.stdout)?.[1] ?? '';
    expect(spawnSync('test', ['-e', cfg]).status).toBe(1);
  });

  it('mongo: a failing mongodump fails the script (and still removes the config file)', () => {
    stub('mongodump', 'exit 3');
    const r = sh(d.MONGO_DUMP_SCRIPT, [], { MONGO_INITDB_ROOT_PASSWORD: PW, MONGO_INITDB_ROOT_USERNAME: 'root' });
    expect(r.status).toBe(3);
  });

  it('mysql: restore feeds stdin to mysql with MYSQL_PWD set', () => {
    stub('mysql', 'printf "pwd=%s args=%s\\n" "$MYSQL_PWD" "$*"; cat');
    const r = sh(d.MYSQL_RESTORE_SCRIPT, [], { MYSQL_ROOT_PASSWORD: PW }, 'CREATE TABLE t (id int);\n');
    expect(r.stdout).toBe(`pwd=${PW} args=--user=root\nCREATE TABLE t (id int);\n`);
  });
});
