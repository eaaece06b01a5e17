import { and, type Cmd, exec, fromFile, pipe, quietErr, toFile } from '../cmd/index.js';
import type { DbType } from '../schemas/app.js';
import { POSTGRES_USER } from './db-engines.js';

// Scripts run by `sh -c` inside the database container. They are constant text: the only data they see
// arrives as positional parameters ("$1") or from the container's own environment (the password that
// compose passed from the 0600 .env), so no secret is ever on a command line or in `ps`.

/** mysqldump/mysql read the password from MYSQL_PWD (exported inside the container, not in argv). */
const MYSQL_AUTH = 'export MYSQL_PWD="$MYSQL_ROOT_PASSWORD"';
export const MYSQL_DUMP_SCRIPT = `${MYSQL_AUTH}; exec mysqldump --user=root --single-transaction --routines --triggers --events --hex-blob --databases "$1"`;
export const MYSQL_RESTORE_SCRIPT = `${MYSQL_AUTH}; exec mysql --user=root`;
/** MariaDB: the same dump (mariadb-dump is mysqldump), its own client names and password variable. */
const MARIADB_AUTH = 'export MYSQL_PWD="$MARIADB_ROOT_PASSWORD"';
export const MARIADB_DUMP_SCRIPT = `${MARIADB_AUTH}; exec mariadb-dump --user=root --single-transaction --routines --triggers --events --hex-blob --databases "$1"`;
export const MARIADB_RESTORE_SCRIPT = `${MARIADB_AUTH}; exec mariadb --user=root`;

/** mongodump/mongorestore take the password from a 0600 config file written by the shell builtin printf. */
const MONGO_AUTH =
  'set -e; umask 077; cfg=$(mktemp); trap \'rm -f "$cfg"\' EXIT; printf \'password: "%s"\\n\' "$MONGO_INITDB_ROOT_PASSWORD" >"$cfg"';
const MONGO_LOGIN = '--config="$cfg" --username="$MONGO_INITDB_ROOT_USERNAME" --authenticationDatabase=admin';
export const MONGO_DUMP_SCRIPT = `${MONGO_AUTH}; mongodump --quiet ${MONGO_LOGIN} --archive`;
export const MONGO_RESTORE_SCRIPT = `${MONGO_AUTH}; mongorestore --quiet ${MONGO_LOGIN} --archive --drop`;

/**
 * Redis: BGSAVE, then wait until LASTSAVE moves past its old value (first letting the clock leave the second
 * of the previous save, so the new one is distinguishable), check the save succeeded, print the RDB file.
 * redis-cli authenticates with REDISCLI_AUTH from the container's environment.
 */
export const REDIS_DUMP_SCRIPT = [
  'set -eu',
  'last=$(redis-cli LASTSAVE)',
  'while [ "$(date +%s)" = "$last" ]; do sleep 0.2; done',
  'redis-cli BGSAVE >/dev/null 2>&1 || true',
  'i=0',
  'while [ "$(redis-cli LASTSAVE)" = "$last" ]; do',
  '  i=$((i + 1)); if [ "$i" -gt 3000 ]; then echo "BGSAVE did not finish within 10 minutes" >&2; exit 1; fi',
  '  sleep 0.2',
  'done',
  'redis-cli INFO persistence | grep -q "^rdb_last_bgsave_status:ok" || { echo "BGSAVE failed" >&2; exit 1; }',
  'dir=$(redis-cli CONFIG GET dir | sed -n 2p)',
  'file=$(redis-cli CONFIG GET dbfilename | sed -n 2p)',
  'exec cat "$dir/$file"',
].join('\n');

/** Prints `<dir> <dbfilename>` of a running redis (where a restore must put the RDB). */
export const REDIS_RDB_PATH_SCRIPT =
  'printf "%s %s\\n" "$(redis-cli CONFIG GET dir | sed -n 2p)" "$(redis-cli CONFIG GET dbfilename | sed -n 2p)"';
/** Run in a helper container sharing the stopped redis container's volumes: RDB from stdin, atomically. */
export const REDIS_PLACE_RDB_SCRIPT = 'cat >"$1/.infrakt-restore.tmp" && mv -f "$1/.infrakt-restore.tmp" "$1/$2"';

/** The consistent dump of database `db` on stdout (binary for postgres/redis/mongo, SQL for mysql). */
export function dump(type: DbType, container: string, db: string): Cmd {
  switch (type) {
    case 'postgres':
      return exec(
        'docker',
        'exec',
        container,
        'pg_dump',
        '--format=custom',
        `--username=${POSTGRES_USER}`,
        '--dbname',
        db,
      );
    case 'mysql':
      return exec('docker', 'exec', container, 'sh', '-c', MYSQL_DUMP_SCRIPT, 'sh', db);
    case 'mariadb':
      return exec('docker', 'exec', container, 'sh', '-c', MARIADB_DUMP_SCRIPT, 'sh', db);
    case 'redis':
      return exec('docker', 'exec', container, 'sh', '-c', REDIS_DUMP_SCRIPT);
    case 'mongo':
      return exec('docker', 'exec', container, 'sh', '-c', MONGO_DUMP_SCRIPT);
  }
}

const gunzip = (file: string): Cmd => exec('gzip', '-dc', '--', file);
/** First bytes of a gzipped file as hex (for magic-number checks). */
const gzMagicHex = (file: string, bytes: number, hex: string): Cmd =>
  pipe(
    quietErr(gunzip(file)),
    exec('head', '-c', String(bytes)),
    exec('od', '-An', '-tx1'),
    exec('tr', '-d', ' \\n'),
    exec('grep', '-qx', hex),
  );

/**
 * Exit 0 when `file` is a complete, readable backup of this engine: non-empty, and
 * postgres: `pg_restore --list` reads its table of contents (run in the container: the server needs no client);
 * mysql/mariadb: the gzip tests OK and ends with mysqldump's `-- Dump completed` trailer (absent when cut short);
 * redis: the gzip tests OK and holds an RDB (`REDIS` magic); mongo: the gzip tests OK and holds a mongodump archive.
 */
export function verify(type: DbType, file: string, container: string): Cmd {
  const nonEmpty = exec('test', '-s', file);
  switch (type) {
    case 'postgres':
      return and(
        nonEmpty,
        pipe(exec('head', '-c', '5', '--', file), exec('grep', '-qx', 'PGDMP')),
        toFile(quietErr(fromFile(exec('docker', 'exec', '-i', container, 'pg_restore', '--list'), file)), '/dev/null'),
      );
    case 'mysql':
    case 'mariadb':
      return and(
        nonEmpty,
        exec('gzip', '-t', '--', file),
        pipe(gunzip(file), exec('tail', '-n', '1'), exec('grep', '-q', '^-- Dump completed')),
      );
    case 'redis':
      // 52 45 44 49 53 = "REDIS"
      return and(nonEmpty, exec('gzip', '-t', '--', file), gzMagicHex(file, 5, '5245444953'));
    case 'mongo':
      // mongodump archives start with the little-endian magic 0x8199e26d.
      return and(nonEmpty, exec('gzip', '-t', '--', file), gzMagicHex(file, 4, '6de29981'));
  }
}

/**
 * Restores a verified backup into the running database. Postgres: one transaction (`--single-transaction`),
 * so a failure leaves the database as it was; objects in the dump are dropped and recreated (`--clean`).
 * Redis is not here: it needs a stop/replace/start sequence (see the restore service).
 */
export function restore(type: Exclude<DbType, 'redis'>, container: string, db: string, file: string): Cmd {
  switch (type) {
    case 'postgres':
      return fromFile(
        exec(
          'docker',
          'exec',
          '-i',
          container,
          'pg_restore',
          `--username=${POSTGRES_USER}`,
          '--dbname',
          db,
          '--clean',
          '--if-exists',
          '--no-owner',
          '--single-transaction',
          '--exit-on-error',
        ),
        file,
      );
    case 'mysql':
      return pipe(gunzip(file), exec('docker', 'exec', '-i', container, 'sh', '-c', MYSQL_RESTORE_SCRIPT));
    case 'mariadb':
      return pipe(gunzip(file), exec('docker', 'exec', '-i', container, 'sh', '-c', MARIADB_RESTORE_SCRIPT));
    case 'mongo':
      return pipe(gunzip(file), exec('docker', 'exec', '-i', container, 'sh', '-c', MONGO_RESTORE_SCRIPT));
  }
}

export const redisRdbPath = (container: string): Cmd =>
  exec('docker', 'exec', container, 'sh', '-c', REDIS_RDB_PATH_SCRIPT);

/** Writes the gunzipped RDB into the (stopped) container's data volume through a throw-away helper container. */
export const redisPlaceRdb = (container: string, image: string, file: string, dir: string, name: string): Cmd =>
  pipe(
    gunzip(file),
    exec(
      'docker',
      'run',
      '--rm',
      '-i',
      '--pull',
      'never',
      '--network',
      'none',
      '--volumes-from',
      container,
      '--entrypoint',
      'sh',
      image,
      '-c',
      REDIS_PLACE_RDB_SCRIPT,
      'sh',
      dir,
      name,
    ),
  );

/** `running <health>` of a container (health empty when it has no health check); exit 1 when it does not exist. */
export const containerState = (container: string): Cmd =>
  exec(
    'docker',
    'inspect',
    '--format',
    '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}',
    container,
  );

export const startContainer = (container: string): Cmd => exec('docker', 'start', container);
export const stopContainer = (container: string, seconds = 30): Cmd =>
  exec('docker', 'stop', '--time', String(seconds), container);

/** `sha256  size` of a file, e.g. `9f86… 1234`. */
export const checksum = (file: string): Cmd =>
  exec(
    'sh',
    '-c',
    'set -e; s=$(sha256sum -- "$1" | cut -d " " -f 1); n=$(wc -c <"$1" | tr -d " "); echo "$s $n"',
    'sh',
    file,
  );
