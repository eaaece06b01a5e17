import type { DbType } from '../schemas/app.js';

/**
 * What infrakt needs to know about each database engine: the official image and its default tag, the
 * port and data directory inside the container, how the password reaches it (always the app's `.env`,
 * read by compose's `env_file`; never argv), a health check, and the backup file extension.
 */
export interface DbEngine {
  readonly type: DbType;
  readonly image: string;
  readonly defaultVersion: string;
  readonly containerPort: number;
  readonly dataDir: string;
  /** Backup file extension: `dump` (pg custom format, compressed already) or a gzip of the native dump. */
  readonly ext: string;
  /** Whether the raw dump is gzipped on the server before verification. */
  readonly gzip: boolean;
  /** Compose health check `test` (exec form; no secret in it: tools read the container's env). */
  readonly healthTest: readonly string[];
  /** The database's `.env` lines (the password is the only secret). */
  env(name: string, password: string): Record<string, string>;
  /** `scheme://user:pw@host:port/db` */
  url(o: { name: string; password: string; host: string; port: number }): string;
}

export const POSTGRES_USER = 'postgres';
export const MYSQL_USER = 'root';
export const MONGO_USER = 'root';
/** Inside redis containers: a config file with `requirepass`, included from the command line (never argv). */
export const REDIS_AUTH_CONF = '/usr/local/etc/redis/infrakt-auth.conf';

export const DB_ENGINES: Readonly<Record<DbType, DbEngine>> = {
  postgres: {
    type: 'postgres',
    image: 'postgres',
    defaultVersion: '16',
    containerPort: 5432,
    dataDir: '/var/lib/postgresql/data',
    ext: 'dump',
    gzip: false,
    healthTest: ['CMD-SHELL', 'pg_isready -q -h 127.0.0.1 -U "$$POSTGRES_USER" -d "$$POSTGRES_DB"'],
    env: (name, password) => ({ POSTGRES_USER, POSTGRES_PASSWORD: password, POSTGRES_DB: name }),
    url: (o) => `postgresql://${POSTGRES_USER}:${o.password}@${o.host}:${o.port}/${o.name}`,
  },
  mysql: {
    type: 'mysql',
    image: 'mysql',
    defaultVersion: '8',
    containerPort: 3306,
    dataDir: '/var/lib/mysql',
    ext: 'sql.gz',
    gzip: true,
    // mysqladmin ping succeeds for a live server even when the login is refused; the init server has no TCP.
    healthTest: ['CMD-SHELL', 'mysqladmin ping --silent -h 127.0.0.1'],
    env: (name, password) => ({ MYSQL_ROOT_PASSWORD: password, MYSQL_DATABASE: name }),
    url: (o) => `mysql://${MYSQL_USER}:${o.password}@${o.host}:${o.port}/${o.name}`,
  },
  // MariaDB's own client names (mariadb-admin, mariadb-dump, mariadb) exist from 10.4 on; the mysql* aliases
  // are gone from its images since 11.0. Its image honours MARIADB_ROOT_PASSWORD / MARIADB_DATABASE.
  mariadb: {
    type: 'mariadb',
    image: 'mariadb',
    defaultVersion: '10.11',
    containerPort: 3306,
    dataDir: '/var/lib/mysql',
    ext: 'sql.gz',
    gzip: true,
    healthTest: ['CMD-SHELL', 'mariadb-admin ping --silent -h 127.0.0.1'],
    env: (name, password) => ({ MARIADB_ROOT_PASSWORD: password, MARIADB_DATABASE: name }),
    url: (o) => `mysql://${MYSQL_USER}:${o.password}@${o.host}:${o.port}/${o.name}`,
  },
  redis: {
    type: 'redis',
    image: 'redis',
    defaultVersion: '7-alpine',
    containerPort: 6379,
    dataDir: '/data',
    ext: 'rdb.gz',
    gzip: true,
    // REDISCLI_AUTH (from .env) authenticates redis-cli without a password on its command line.
    healthTest: ['CMD-SHELL', 'redis-cli ping | grep -q PONG'],
    env: (_name, password) => ({ REDISCLI_AUTH: password }),
    url: (o) => `redis://:${o.password}@${o.host}:${o.port}/0`,
  },
  mongo: {
    type: 'mongo',
    image: 'mongo',
    defaultVersion: '7',
    containerPort: 27017,
    dataDir: '/data/db',
    ext: 'archive.gz',
    gzip: true,
    healthTest: ['CMD-SHELL', "mongosh --quiet --eval 'db.adminCommand({ping: 1}).ok' | grep -q 1"],
    env: (name, password) => ({
      MONGO_INITDB_ROOT_USERNAME: MONGO_USER,
      MONGO_INITDB_ROOT_PASSWORD: password,
      MONGO_INITDB_DATABASE: name,
    }),
    url: (o) => `mongodb://${MONGO_USER}:${o.password}@${o.host}:${o.port}/${o.name}?authSource=admin`,
  },
};

export const imageFor = (type: DbType, version: string): string => `${DB_ENGINES[type].image}:${version}`;
