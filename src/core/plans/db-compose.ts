import { stringify } from 'yaml';
import { DB_ENGINES, REDIS_AUTH_CONF } from '../commands/db-engines.js';
import { LABEL_APP, LABEL_ROOT } from '../commands/docker.js';
import type { DbType } from '../schemas/app.js';
import { Secret } from '../secret.js';
import { DOCKER_NETWORK } from './provision.js';

export const LABEL_DB = 'infrakt.db';

/** Where a database lives on its server. Pure. */
export interface DbLayout {
  readonly dir: string;
  readonly composeFile: string;
  readonly envFile: string;
  /** Redis only: `requirepass`, bind-mounted read-only (0644 inside the 0700 app dir). */
  readonly redisAuthFile: string;
  readonly backupsDir: string;
  readonly backupScript: string;
  /** Compose project = compose service = container name = the host name on the `infrakt` network. */
  readonly container: string;
}

export function dbLayout(root: string, name: string): DbLayout {
  const dir = `${root}/apps/${name}`;
  const backupsDir = `${root}/backups/${name}`;
  return {
    dir,
    composeFile: `${dir}/docker-compose.yml`,
    envFile: `${dir}/.env`,
    redisAuthFile: `${dir}/redis-auth.conf`,
    backupsDir,
    backupScript: `${backupsDir}/backup.sh`,
    container: name,
  };
}

export interface DbComposeInput {
  readonly name: string;
  readonly type: DbType;
  readonly image: string;
  readonly root: string;
  readonly hostPort: number;
}

/**
 * The database's compose file: one service on the shared `infrakt` network, published on 127.0.0.1 only,
 * data in a named volume, a health check, and no secret (the password comes from `.env` via `env_file`).
 */
export function renderDbCompose(i: DbComposeInput): string {
  const e = DB_ENGINES[i.type];
  const labels = { [LABEL_APP]: i.name, [LABEL_ROOT]: i.root, [LABEL_DB]: i.type };
  const service: Record<string, unknown> = {
    image: i.image,
    container_name: i.name,
    restart: 'unless-stopped',
    env_file: ['.env'],
    ports: [`127.0.0.1:${i.hostPort}:${e.containerPort}`],
    volumes: [`data:${e.dataDir}`],
    healthcheck: { test: [...e.healthTest], interval: '2s', timeout: '5s', retries: 5, start_period: '120s' },
    labels,
    networks: [DOCKER_NETWORK],
  };
  if (i.type === 'redis') {
    service.command = ['redis-server', '--include', REDIS_AUTH_CONF];
    (service.volumes as string[]).push(`./redis-auth.conf:${REDIS_AUTH_CONF}:ro`);
  }
  const doc = {
    services: { [i.name]: service },
    volumes: { data: { labels: { [LABEL_APP]: i.name, [LABEL_ROOT]: i.root } } },
    networks: { [DOCKER_NETWORK]: { external: true, name: DOCKER_NETWORK } },
  };
  return `# Managed by infrakt (db create): rewritten by infrakt, do not edit.\n${stringify(doc)}`;
}

/** `.env` of the database (mode 0600): the generated password is URL-safe, so no quoting is needed. */
export function renderDbEnv(type: DbType, name: string, password: Secret): Secret {
  const vars = DB_ENGINES[type].env(name, password.reveal());
  return new Secret(
    `${Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
}

export const renderRedisAuth = (password: Secret): Secret => new Secret(`requirepass ${password.reveal()}\n`);

/** Connection strings: from the server itself (127.0.0.1:hostPort) and from containers on the `infrakt` network. */
export function connectionStrings(
  type: DbType,
  name: string,
  password: Secret,
  hostPort: number,
): { local: Secret; network: Secret } {
  const e = DB_ENGINES[type];
  const pw = password.reveal();
  return {
    local: new Secret(e.url({ name, password: pw, host: '127.0.0.1', port: hostPort })),
    network: new Secret(e.url({ name, password: pw, host: name, port: e.containerPort })),
  };
}
