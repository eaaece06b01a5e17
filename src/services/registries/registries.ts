import type { RegistryRow, ServerRow } from '../../adapters/store/schema.js';
import * as docker from '../../core/commands/docker.js';
import * as fs from '../../core/commands/fs.js';
import { InfraktError, notFound } from '../../core/errors.js';
import { runChecked, tail } from '../../core/executor.js';
import { parseInput } from '../../core/schemas/parse.js';
import {
  registryHostSchema,
  registryOfImage,
  registrySecretSchema,
  registryUserSchema,
} from '../../core/schemas/registry.js';
import type { RegistryRemoved, RegistryView } from '../../core/schemas/views/registries.js';
import type { Secret } from '../../core/secret.js';
import { getServerRow } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { withServer } from '../shared/server-session.js';

// Private registries of a server (`registry add/list/remove`). The password or token is sealed in the local
// state; on the server, `docker login --password-stdin` keeps Docker's login in a config directory of its own
// under the server root (0700), used only to pull images of that registry — the SSH user's ~/.docker is left
// alone.

/** The Docker config directory holding a server's registry logins. */
export const registryConfigDir = (root: string): string => `${root}/registries/docker`;

const sealPurpose = (serverId: number, host: string) => `registry:${serverId}:${host}`;
const registryLock = (serverId: number) => `registries:${serverId}`;

function toView(row: RegistryRow, server: string): RegistryView {
  return {
    server,
    host: row.host,
    username: row.username,
    loggedInAt: row.logged_in_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function listRegistries(ctx: Ctx, serverName?: string): Promise<RegistryView[]> {
  let q = ctx.store.db
    .selectFrom('registries')
    .innerJoin('servers', 'servers.id', 'registries.server_id')
    .selectAll('registries')
    .select('servers.name as server_name')
    .orderBy('servers.name')
    .orderBy('registries.host');
  if (serverName) q = q.where('registries.server_id', '=', (await getServerRow(ctx, serverName)).id);
  const rows = await q.execute();
  return rows.map((r) => toView(r, r.server_name));
}

export interface RegistryAddInput {
  server: string;
  host: string;
  username: string;
  password: Secret;
}

/**
 * `registry add --server S HOST --username U`: everything validated first; the job logs the server in
 * (`docker login --password-stdin`, the secret on stdin) and only then stores the credentials, sealed. Adding
 * a host again replaces its credentials.
 */
export async function prepareRegistryAdd(ctx: Ctx, input: RegistryAddInput): Promise<JobPlan<RegistryView>> {
  const host = parseInput(registryHostSchema, input.host, 'registry host');
  const username = parseInput(registryUserSchema, input.username, 'username');
  parseInput(registrySecretSchema, input.password.reveal(), 'password');
  const server = await getServerRow(ctx, input.server);
  const dir = registryConfigDir(server.root_dir);
  return {
    spec: {
      kind: 'registry.add',
      target: `${server.name}/${host}`,
      serverId: server.id,
      params: { host, username },
      locks: [registryLock(server.id)],
      waitForLocksMs: 60_000,
      plannedSteps: ['connect', 'docker login'],
    },
    body: async (job) => {
      job.addSecrets(input.password);
      return withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
        await job.step('docker login', async (s) => {
          await runChecked(ex, fs.mkdirp(dir, 0o700), { what: 'create the registry config directory' });
          const login = docker.login(host, username, dir);
          const r = await ex.run(login, { stdin: input.password, signal: job.signal, timeoutMs: 120_000 });
          if (r.exitCode !== 0) {
            throw new InfraktError('COMMAND_FAILED', `${host} refused the login of ${username} from ${server.name}`, {
              hint: 'check the host, user name and password/token (nothing was stored)',
              details: { exitCode: r.exitCode, stderrTail: tail(r.stdout, 5) },
            });
          }
          s.detail(`${username}@${host}`);
        });
        const row = await storeRegistry(ctx, server, host, username, input.password);
        await audit(ctx, 'registry.add', `${server.name}/${host}`, { username });
        return toView(row, server.name);
      });
    },
  };
}

async function storeRegistry(
  ctx: Ctx,
  server: ServerRow,
  host: string,
  username: string,
  password: Secret,
): Promise<RegistryRow> {
  const now = nowIso(ctx);
  const password_enc = ctx.cipher.seal(sealPurpose(server.id, host), password.reveal());
  return ctx.store.db
    .insertInto('registries')
    .values({
      server_id: server.id,
      host,
      username,
      password_enc,
      logged_in_at: now,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['server_id', 'host']).doUpdateSet({ username, password_enc, logged_in_at: now, updated_at: now }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** `registry remove --server S HOST`: `docker logout` on the server, then the record. */
export async function prepareRegistryRemove(
  ctx: Ctx,
  input: { server: string; host: string },
): Promise<JobPlan<RegistryRemoved>> {
  const host = parseInput(registryHostSchema, input.host, 'registry host');
  const server = await getServerRow(ctx, input.server);
  const row = await ctx.store.db
    .selectFrom('registries')
    .selectAll()
    .where('server_id', '=', server.id)
    .where('host', '=', host)
    .executeTakeFirst();
  if (!row) throw notFound('registry', host, `list the registries of ${server.name} with: infrakt registry list`);
  return {
    spec: {
      kind: 'registry.remove',
      target: `${server.name}/${host}`,
      serverId: server.id,
      params: { host },
      locks: [registryLock(server.id)],
      waitForLocksMs: 60_000,
      plannedSteps: ['connect', 'docker logout'],
    },
    body: (job) =>
      withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
        await job.step('docker logout', async (s) => {
          await runChecked(ex, docker.logout(host, registryConfigDir(server.root_dir)), { what: 'docker logout' });
          s.detail(host);
        });
        await ctx.store.db.deleteFrom('registries').where('id', '=', row.id).execute();
        await audit(ctx, 'registry.remove', `${server.name}/${host}`, {});
        return { server: server.name, host, removed: true };
      }),
  };
}

/** Which Docker config a pull of an image uses on this server: the registry login's, or none (public). */
export type PullAuth = (image: string) => { configDir: string; host: string } | { configDir?: undefined; host: string };

export async function pullAuth(ctx: Ctx, server: ServerRow): Promise<PullAuth> {
  const rows = await ctx.store.db.selectFrom('registries').select('host').where('server_id', '=', server.id).execute();
  const hosts = new Set(rows.map((r) => r.host));
  const dir = registryConfigDir(server.root_dir);
  return (image) => {
    const host = registryOfImage(image);
    return hosts.has(host) ? { configDir: dir, host } : { host };
  };
}
