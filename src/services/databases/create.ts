import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { and, exec, or, quietErr, seq, toFile } from '../../core/cmd/index.js';
import * as compose from '../../core/commands/compose.js';
import { renderBackupScript } from '../../core/commands/db-backup.js';
import { DB_ENGINES, imageFor } from '../../core/commands/db-engines.js';
import * as docker from '../../core/commands/docker.js';
import * as fs from '../../core/commands/fs.js';
import { parsePortsInUse, portsInUse } from '../../core/commands/ports.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import { type Executor, runChecked, tail } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import {
  connectionStrings,
  dbLayout,
  renderDbCompose,
  renderDbEnv,
  renderRedisAuth,
} from '../../core/plans/db-compose.js';
import { DB_PORT_RANGE, pickFreePort } from '../../core/plans/host-ports.js';
import { DOCKER_NETWORK } from '../../core/plans/provision.js';
import type { DbType } from '../../core/schemas/app.js';
import { envKeySchema, nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import { secretNameSchema } from '../../core/schemas/secret.js';
import type { DatabaseView } from '../../core/schemas/views/databases.js';
import { type Secret, scrub } from '../../core/secret.js';
import { resolveApp } from '../apps/apps.js';
import { setEnv } from '../apps/env.js';
import { detectFlavour } from '../apps/releases.js';
import { secretExists, setSecret } from '../secrets/secrets.js';
import { getServerRow } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { appLockName } from '../shared/lock-on-server.js';
import { type ServerSession, withServer } from '../shared/server-session.js';
import { waitContainerHealthy } from './container-health.js';
import {
  type DbSettings,
  dbTypeSchema,
  dbVersionSchema,
  defaultVersion,
  generatePassword,
  toDatabaseView,
} from './model.js';

export interface CreateDatabaseInput {
  server: string;
  name: string;
  type: string;
  version?: string;
  /** Store the connection string (in-network host) in this app's encrypted env instead of returning it. */
  saveToEnv?: string;
  /** Variable name for saveToEnv (default DATABASE_URL, REDIS_URL for redis, MONGODB_URI for mongo). */
  envKey?: string;
  /** Store the connection string (in-network host) as this named secret instead of returning it. */
  storeAsSecret?: string;
}

export interface CreateDatabaseResult {
  database: DatabaseView;
  /** Shown once (never stored); `[redacted]` in job records. Absent when saved to an app's env. */
  connectionString?: Secret;
  /** The same for containers on the `infrakt` network (host = the database name). */
  networkConnectionString?: Secret;
  savedToEnv?: { app: string; key: string };
  storedAsSecret?: string;
  ms: number;
}

const DEFAULT_ENV_KEY: Record<DbType, string> = {
  postgres: 'DATABASE_URL',
  mysql: 'DATABASE_URL',
  mariadb: 'DATABASE_URL',
  redis: 'REDIS_URL',
  mongo: 'MONGODB_URI',
};

/**
 * `db create`: validates everything locally, records the database (status `deploying`) so the name is taken,
 * and returns the job that starts it on the server. A failed job removes what it created and the record.
 */
export async function prepareCreateDatabase(
  ctx: Ctx,
  input: CreateDatabaseInput,
): Promise<JobPlan<CreateDatabaseResult>> {
  const name = parseInput(nameSchema, input.name, 'name');
  const type = parseInput(dbTypeSchema, input.type, 'type');
  const version = parseInput(dbVersionSchema, input.version ?? defaultVersion(type), 'version');
  const server = await getServerRow(ctx, parseInput(nameSchema, input.server, 'server'));
  const envKey = input.envKey === undefined ? DEFAULT_ENV_KEY[type] : parseInput(envKeySchema, input.envKey, 'env key');
  if (input.envKey !== undefined && input.saveToEnv === undefined)
    throw new InfraktError('VALIDATION', '--env-key goes with --save-to-env <app>');
  const target = input.saveToEnv === undefined ? null : (await resolveApp(ctx, input.saveToEnv, server.name)).app;
  const secretName = await checkStoreAsSecret(ctx, input);
  if (target?.app_type.startsWith('db:'))
    throw new InfraktError('VALIDATION', `'${target.name}' is a database; --save-to-env takes an app`);
  const clash = await ctx.store.db
    .selectFrom('apps')
    .select(['name', 'app_type'])
    .where('server_id', '=', server.id)
    .where('name', '=', name)
    .executeTakeFirst();
  if (clash) {
    const what = clash.app_type.startsWith('db:') ? 'a database' : 'an app';
    throw new InfraktError('CONFLICT', `${what} named '${name}' already exists on server '${server.name}'`, {
      hint: 'choose another name (apps and databases share names per server)',
    });
  }
  const e = DB_ENGINES[type];
  const settings: DbSettings = {
    type,
    version,
    image: imageFor(type, version),
    containerPort: e.containerPort,
    hostPort: null,
    schedule: null,
  };
  const now = nowIso(ctx);
  const app = await ctx.store.db
    .insertInto('apps')
    .values({
      server_id: server.id,
      name,
      app_type: `db:${type}`,
      domain: null,
      port: e.containerPort,
      git_repo: null,
      branch: null,
      image: settings.image,
      status: 'deploying',
      settings_json: JSON.stringify({ db: settings }),
      current_release: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const steps = ['connect', 'detect compose', 'lock on server', 'check name is free', 'image', 'choose port'];
  steps.push('write files', 'network', 'start', 'wait healthy', 'backup script');
  if (target) steps.push('save to env');
  if (secretName) steps.push('store as secret');
  return {
    spec: appJobSpec(app, server, 'db.create', {
      params: { database: name, type, version },
      steps: [...steps, 'record'],
    }),
    body: (job) => runCreate(ctx, job, app, server, settings, target ? { app: target, key: envKey } : null, secretName),
  };
}

async function runCreate(
  ctx: Ctx,
  job: JobContext,
  app: AppRow,
  server: ServerRow,
  settings: DbSettings,
  saveTo: { app: AppRow; key: string } | null,
  secretName: string | null = null,
): Promise<CreateDatabaseResult> {
  const t0 = Date.now();
  const password = generatePassword();
  job.addSecrets(password);
  // The lock is taken after detecting compose, in its own step; withServer releases it whatever happens.
  const lock = { name: appLockName(app.name), deferred: true };
  try {
    return await withServer(ctx, job, server, { lock }, (session) =>
      createOnServer(ctx, job, session, { app, server, settings, saveTo, secretName, password, t0 }),
    );
  } catch (err) {
    const e = toInfraktError(err);
    await ctx.store.db.deleteFrom('apps').where('id', '=', app.id).execute();
    throw e;
  }
}

async function createOnServer(
  ctx: Ctx,
  job: JobContext,
  session: ServerSession,
  c: {
    app: AppRow;
    server: ServerRow;
    settings: DbSettings;
    saveTo: { app: AppRow; key: string } | null;
    secretName: string | null;
    password: Secret;
    t0: number;
  },
): Promise<CreateDatabaseResult> {
  const { app, server, settings, saveTo, secretName, password, t0 } = c;
  const x = session.ex;
  const l = dbLayout(server.root_dir, app.name);
  const opts = { signal: job.signal };
  let created = false;
  try {
    const flavour = await job.step('detect compose', async (s) => {
      const f = await detectFlavour(x);
      s.detail(f);
      return f;
    });
    await job.step('lock on server', () => session.lock());
    await job.step('check name is free', async () => {
      // Something of that name on the server (another infrakt install, a leftover): refuse, touch nothing.
      const r = await x.run(or(fs.testDir(l.dir), quietErr(toFile(exec('docker', 'inspect', app.name), '/dev/null'))));
      if (r.exitCode === 0)
        throw new InfraktError(
          'CONFLICT',
          `'${app.name}' already exists on ${server.name} (${l.dir} or a container of that name)`,
          {
            hint: 'choose another name, or remove the leftover on the server',
          },
        );
    });
    created = true;
    await job.step('image', async (s) => {
      const present = await x.run(toFile(quietErr(docker.imageId(settings.image)), '/dev/null'), opts);
      if (present.exitCode === 0) return s.unchanged(`${settings.image} present`);
      await runChecked(x, docker.pull(settings.image), { ...opts, what: `docker pull ${settings.image}` });
      s.detail(`pulled ${settings.image}`);
    });
    const compT = { flavour, project: app.name, file: l.composeFile };
    let hostPort = 0;
    for (let attempt = 1; ; attempt++) {
      hostPort = await job.step(attempt === 1 ? 'choose port' : `choose port (attempt ${attempt})`, async (s) => {
        const p = await choosePort(ctx, x, server);
        s.detail(`127.0.0.1:${p}`);
        return p;
      });
      await job.step(attempt === 1 ? 'write files' : `write files (attempt ${attempt})`, async (s) => {
        await runChecked(x, and(fs.mkdirp(l.dir, 0o700), fs.mkdirp(l.backupsDir, 0o700)), { ...opts, what: 'mkdir' });
        await x.put(l.envFile, renderDbEnv(settings.type, app.name, password), { mode: 0o600 });
        if (settings.type === 'redis') await x.put(l.redisAuthFile, renderRedisAuth(password), { mode: 0o644 });
        await x.put(
          l.composeFile,
          renderDbCompose({
            name: app.name,
            type: settings.type,
            image: settings.image,
            root: server.root_dir,
            hostPort,
          }),
          { mode: 0o644 },
        );
        s.detail(l.dir);
      });
      if (attempt === 1)
        await job.step('network', async (s) => {
          const r = await x.run(quietErr(toFile(exec('docker', 'network', 'inspect', DOCKER_NETWORK), '/dev/null')));
          if (r.exitCode === 0) return s.unchanged(`${DOCKER_NETWORK} exists`);
          await runChecked(
            x,
            or(
              exec('docker', 'network', 'create', DOCKER_NETWORK),
              exec('docker', 'network', 'inspect', DOCKER_NETWORK),
            ),
            {
              what: 'docker network create',
            },
          );
          s.detail(`created ${DOCKER_NETWORK}`);
        });
      const up = await job.step(attempt === 1 ? 'start' : `start (attempt ${attempt})`, async (s) => {
        const r = await x.run(compose.up(compT), opts);
        if (r.exitCode === 0) return true;
        // Another process may have taken the port since it was chosen: one more try with a new one.
        if (attempt < 2) {
          s.log(scrub(tail(r.stdout || r.stderr, 5), [password]), 'stderr');
          await x.run(docker.removeProject(app.name, { volumes: true, stopSeconds: 2 }));
          return false;
        }
        throw new InfraktError(
          'COMMAND_FAILED',
          `compose up failed on ${x.target} (exit ${r.exitCode}): ${tail(r.stdout || r.stderr, 1)}`,
          {
            details: { stderrTail: scrub(tail(r.stdout || r.stderr), [password]) },
          },
        );
      });
      if (up) break;
    }
    await job.step('wait healthy', async (s) => {
      const ms = await waitContainerHealthy(x, app.name, job.signal, [password]);
      s.detail(`healthy after ${ms} ms`);
    });
    await job.step('backup script', async (s) => {
      await x.put(l.backupScript, renderBackupScript({ name: app.name, type: settings.type, root: server.root_dir }), {
        mode: 0o700,
      });
      s.detail(l.backupScript);
    });
    const urls = connectionStrings(settings.type, app.name, password, hostPort);
    if (saveTo)
      await job.step('save to env', async (s) => {
        await setEnv(ctx, saveTo.app.name, [`${saveTo.key}=${urls.network.reveal()}`], server.name);
        s.detail(`${saveTo.app.name}: ${saveTo.key}`);
      });
    if (secretName)
      await job.step('store as secret', async (s) => {
        await setSecret(ctx, secretName, urls.network, { source: `db create ${server.name}/${app.name}` });
        s.detail(secretName);
      });
    const final: DbSettings = { ...settings, hostPort };
    await job.step('record', async () => {
      await ctx.store.db
        .updateTable('apps')
        .set({
          status: 'running',
          port: hostPort,
          settings_json: JSON.stringify({ db: final }),
          updated_at: nowIso(ctx),
        })
        .where('id', '=', app.id)
        .execute();
    });
    await audit(ctx, 'db.create', `${server.name}/${app.name}`, {
      type: settings.type,
      version: settings.version,
      port: hostPort,
    });
    const row = await ctx.store.db.selectFrom('apps').selectAll().where('id', '=', app.id).executeTakeFirstOrThrow();
    return {
      database: toDatabaseView(row, server.name),
      ...(saveTo
        ? { savedToEnv: { app: saveTo.app.name, key: saveTo.key } }
        : secretName
          ? { storedAsSecret: secretName }
          : { connectionString: urls.local, networkConnectionString: urls.network }),
      ms: Date.now() - t0,
    };
  } catch (err) {
    if (created) {
      // Nothing half-made stays behind: containers, volume, files.
      await x.run(docker.removeProject(app.name, { volumes: true, stopSeconds: 2 })).catch(() => undefined);
      await x
        .run(docker.removeVolumesByLabels({ [docker.LABEL_APP]: app.name, [docker.LABEL_ROOT]: server.root_dir }))
        .catch(() => undefined);
      await x.run(seq(fs.rmrf(l.dir), fs.rmrf(l.backupsDir))).catch(() => undefined);
      job.log(`removed the partly created database ${app.name}`);
    }
    throw err;
  }
}

/** `--store-as-secret NAME`: a valid name not taken yet (a generated credential never overwrites one). */
async function checkStoreAsSecret(ctx: Ctx, input: CreateDatabaseInput): Promise<string | null> {
  if (input.storeAsSecret === undefined) return null;
  if (input.saveToEnv !== undefined)
    throw new InfraktError('VALIDATION', 'choose either --save-to-env or --store-as-secret, not both');
  const name = parseInput(secretNameSchema, input.storeAsSecret, 'secret name');
  if (await secretExists(ctx, name)) {
    throw new InfraktError('CONFLICT', `a secret named '${name}' already exists`, {
      hint: `choose another name, or delete it first with: infrakt secret delete ${name}`,
    });
  }
  return name;
}

async function choosePort(ctx: Ctx, ex: Executor, server: ServerRow): Promise<number> {
  const r = await ex.run(portsInUse());
  const used = parsePortsInUse(r.stdout);
  const others = await ctx.store.db
    .selectFrom('apps')
    .select('port')
    .where('server_id', '=', server.id)
    .where('app_type', 'like', 'db:%')
    .execute();
  for (const o of others) used.add(o.port);
  const port = pickFreePort(used, Math.random(), DB_PORT_RANGE);
  if (port === null) throw new InfraktError('STATE', `no free port for a database on ${server.name}`);
  return port;
}
