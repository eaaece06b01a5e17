import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type HcloudServer, type HetznerApi, hetznerApi, waitForAction } from '../../adapters/providers/hetzner/api.js';
import { HetznerApiError } from '../../adapters/providers/hetzner/client.js';
import { hostKeyFromLine } from '../../adapters/ssh/host-key.js';
import { InfraktError, isInfraktError } from '../../core/errors.js';
import { hostKeyUserData } from '../../core/providers/cloud-init.js';
import { md5Fingerprint } from '../../core/providers/ssh-key.js';
import { nameSchema, remoteRootSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { ServerView } from '../../core/schemas/views/servers.js';
import { audit } from '../audit.js';
import type { Ctx } from '../context.js';
import { nowIso } from '../context.js';
import type { JobPlan } from '../job-plan.js';
import type { JobContext } from '../jobs-types.js';
import { probeServer, syncKnownHosts } from '../server-remote.js';
import { getServer, registerServer, removeServer } from '../servers.js';
import { providerClient } from './providers.js';

export const MANAGED_BY = { 'managed-by': 'infrakt' } as const;

export interface CreateCloudServerInput {
  name: string;
  provider: string;
  type: string;
  location: string;
  image: string;
  /** The private key infrakt logs in with; its `.pub` is uploaded (or reused) at the provider. */
  keyPath?: string | null;
  root?: string;
  labels?: Record<string, string>;
  /** How long to wait for SSH after the server runs (default 5 min). */
  sshTimeoutMs?: number;
}

export interface CreateCloudServerResult {
  server: ServerView;
  externalId: string;
  ip: string;
  hostKeyFingerprint: string;
  sshKey: { id: number; name: string; reused: boolean };
  /** True when an earlier, interrupted create of this name was found and finished instead of a new one. */
  resumed: boolean;
}

const slug = /^[a-z0-9][a-z0-9-]{0,31}$/;

function resolveKey(keyPath: string | null | undefined): { keyPath: string; publicKey: string } {
  const path = keyPath ?? join(homedir(), '.ssh', 'id_ed25519');
  if (!keyPath && !existsSync(path))
    throw new InfraktError('VALIDATION', 'no SSH key given and ~/.ssh/id_ed25519 does not exist', {
      hint: 'pass --key <private key file> (its .pub is uploaded)',
    });
  const pub = `${path}.pub`;
  if (!existsSync(pub))
    throw new InfraktError('VALIDATION', `no public key next to ${path} (${pub})`, {
      hint: `create it with: ssh-keygen -y -f ${path} > ${pub}`,
    });
  const publicKey = readFileSync(pub, 'utf8').trim();
  if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( .*)?$/.test(publicKey))
    throw new InfraktError('VALIDATION', `${pub} is not an OpenSSH public key`);
  return { keyPath: path, publicKey };
}

/** `server create --provider N …`: validated locally, then a job that creates, waits, pins and connects. */
export async function prepareCreateCloudServer(
  ctx: Ctx,
  input: CreateCloudServerInput,
): Promise<JobPlan<CreateCloudServerResult>> {
  const name = parseInput(nameSchema, input.name, 'name');
  for (const [field, v] of [
    ['--type', input.type],
    ['--location', input.location],
    ['--image', input.image],
  ] as const) {
    if (!slug.test(v))
      throw new InfraktError('VALIDATION', `invalid ${field} '${v}'`, {
        hint: 'e.g. --type cx22 --location nbg1 --image debian-12',
      });
  }
  const root = parseInput(remoteRootSchema, input.root ?? '/opt/infrakt', 'root');
  const key = resolveKey(input.keyPath);
  const { id: providerId } = await providerClient(ctx, input.provider);
  const pending = await ctx.store.db
    .selectFrom('provider_servers')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  const local = await ctx.store.db.selectFrom('servers').select('id').where('name', '=', name).executeTakeFirst();
  if (local && pending?.status !== 'creating') {
    throw new InfraktError('CONFLICT', `a server named '${name}' already exists`, { hint: 'choose another name' });
  }
  if (pending && pending.provider_id !== providerId)
    throw new InfraktError('CONFLICT', `'${name}' is being created at another provider`, {
      hint: 'finish or destroy that one first',
    });
  return {
    spec: {
      kind: 'server.create',
      target: name,
      params: { provider: input.provider, type: input.type, location: input.location, image: input.image },
      locks: [`server-create:${name}`],
      plannedSteps: ['ssh key', 'create server', 'wait for server', 'register', 'wait for ssh'],
    },
    body: (job) => runCreate(ctx, job, { ...input, name, root }, key, providerId),
  };
}

async function runCreate(
  ctx: Ctx,
  job: JobContext,
  input: CreateCloudServerInput & { name: string; root: string },
  key: { keyPath: string; publicKey: string },
  providerId: number,
): Promise<CreateCloudServerResult> {
  // The job's log receives the client's retry notes (rate limits, transient errors).
  const { client } = await providerClient(ctx, input.provider, {
    signal: job.signal,
    onRetry: (why, ms) => job.log(`${why}: retrying in ${Math.round(ms / 100) / 10} s`),
  });
  const api = hetznerApi(client);
  const labels = { ...(input.labels ?? {}), ...MANAGED_BY, 'infrakt-server': input.name };

  const sshKey = await job.step('ssh key', async (s) => {
    const k = await ensureSshKey(api, key.publicKey);
    s.detail(`${k.reused ? 'reused' : 'uploaded'} ${k.name} (#${k.id})`);
    return k;
  });

  let resumed = false;
  const { server, hostKey } = await job.step('create server', async (s) => {
    const pending = await ctx.store.db
      .selectFrom('provider_servers')
      .selectAll()
      .where('name', '=', input.name)
      .executeTakeFirst();
    const found = (await api.listServers({ name: input.name }))[0];
    if (found) {
      // Ours only if infrakt recorded it (with its host key) before asking the API: never adopt a stranger.
      if (pending?.status === 'creating' && found.labels['managed-by'] === 'infrakt') {
        resumed = true;
        await recordExternalId(ctx, input.name, found.id);
        s.detail(`resumed #${found.id} (an earlier create of ${input.name})`);
        return { server: found, hostKey: pending.host_key };
      }
      throw new InfraktError(
        'CONFLICT',
        `the project already has a server named '${input.name}' that infrakt did not create`,
        {
          hint: 'choose another name',
        },
      );
    }
    // ssh2 (key generation) loads only for a create.
    const hk = (await import('../../adapters/providers/host-key.js')).generateHostKey();
    const now = nowIso(ctx);
    // Recorded before the create call: a retry after a crash or timeout finds this and resumes.
    await ctx.store.db
      .insertInto('provider_servers')
      .values({
        name: input.name,
        provider_id: providerId,
        external_id: null,
        server_type: input.type,
        location: input.location,
        image: input.image,
        host_key: hk.line,
        status: 'creating',
        details_json: '{}',
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({
          host_key: hk.line,
          external_id: null,
          server_type: input.type,
          location: input.location,
          image: input.image,
          updated_at: now,
        }),
      )
      .execute();
    const userData = hostKeyUserData(hk);
    job.addSecrets(hk.privateKey, userData);
    let created: HcloudServer;
    try {
      const r = await api.createServer({
        name: input.name,
        server_type: input.type,
        location: input.location,
        image: input.image,
        ssh_keys: [sshKey.id],
        user_data: userData.reveal(),
        labels,
        start_after_create: true,
      });
      created = r.server;
      await recordExternalId(ctx, input.name, created.id);
      s.detail(`#${created.id} (${input.type} in ${input.location}, ${input.image})`);
      await waitForAction(api, r.action, {
        signal: job.signal,
        onProgress: (a) => s.log(`${a.command}: ${a.status} ${a.progress}%`),
      });
    } catch (e) {
      // The create may have gone through (a lost answer, a parallel run): the name says.
      const again = (await api.listServers({ name: input.name }).catch(() => []))[0];
      if (!again || (e instanceof HetznerApiError && e.apiCode !== 'uniqueness_error' && e.status < 500)) throw e;
      created = again;
      await recordExternalId(ctx, input.name, again.id);
      s.log(`the create answered ${(e as Error).message}; found #${again.id} by name and continue with it`);
    }
    return { server: created, hostKey: hk.line };
  });

  const running = await job.step('wait for server', async (s) => {
    const deadline = Date.now() + 600_000;
    for (let srv = server; ; srv = await api.getServer(server.id)) {
      if (srv.status === 'running' && srv.public_net.ipv4?.ip) {
        s.detail(`${srv.status} at ${srv.public_net.ipv4.ip}`);
        return srv;
      }
      if (Date.now() > deadline)
        throw new InfraktError('TIMEOUT', `server ${input.name} is still ${srv.status} after 10 minutes`);
      await sleep(1000, job.signal);
    }
  });
  const ip = running.public_net.ipv4!.ip;

  await job.step('register', async (s) => {
    const exists = await ctx.store.db
      .selectFrom('servers')
      .select('id')
      .where('name', '=', input.name)
      .executeTakeFirst();
    const fingerprint = hostKeyFromLine(hostKey)!.fingerprint;
    if (!exists) {
      await registerServer(ctx, {
        name: input.name,
        host: ip,
        user: 'root',
        port: 22,
        keyPath: key.keyPath,
        provider: input.provider,
        root: input.root,
      });
    }
    // Pinned before the first connection: the key we generated is the only one accepted.
    await ctx.store.db
      .updateTable('servers')
      .set({
        host: ip,
        host_key: hostKey,
        host_key_fingerprint: fingerprint,
        status: 'unknown',
        updated_at: nowIso(ctx),
      })
      .where('name', '=', input.name)
      .execute();
    await syncKnownHosts(ctx);
    s.detail(`root@${ip}:22, host key ${fingerprint} pinned`);
  });

  const fingerprint = await job.step('wait for ssh', async (s) => {
    const deadline = Date.now() + (input.sshTimeoutMs ?? 300_000);
    for (let attempt = 1; ; attempt++) {
      const row = await ctx.store.db
        .selectFrom('servers')
        .selectAll()
        .where('name', '=', input.name)
        .executeTakeFirstOrThrow();
      const probe = await probeServer(ctx, row);
      if (probe.status === 'ok') {
        s.detail(`connected after ${attempt} attempt(s): ${probe.system ?? ''}`);
        return probe.fingerprint ?? '';
      }
      if (probe.status === 'host_key_mismatch') {
        throw new InfraktError(
          'HOST_KEY_MISMATCH',
          `${input.name} presented host key ${probe.fingerprint}, not the key infrakt injected: refused`,
          {
            hint: `nothing was sent to it. Someone is in the middle, or cloud-init did not install the key. Destroy it with: infrakt server destroy ${input.name}`,
          },
        );
      }
      if (probe.status === 'auth_failed' || Date.now() > deadline) {
        throw new InfraktError(
          probe.status === 'auth_failed' ? 'SSH_AUTH' : 'TIMEOUT',
          `${input.name}: ${probe.error?.message ?? probe.status}`,
          { hint: probe.error?.hint },
        );
      }
      s.log(`not reachable yet (${probe.error?.code ?? probe.status}); retrying`);
      await sleep(2000, job.signal);
    }
  });

  await ctx.store.db
    .updateTable('provider_servers')
    .set({ status: 'created', updated_at: nowIso(ctx) })
    .where('name', '=', input.name)
    .execute();
  await audit(ctx, 'server.create', input.name, {
    provider: input.provider,
    type: input.type,
    location: input.location,
    id: running.id,
  });
  return {
    server: await getServer(ctx, input.name),
    externalId: String(running.id),
    ip,
    hostKeyFingerprint: fingerprint,
    sshKey,
    resumed,
  };
}

async function recordExternalId(ctx: Ctx, name: string, id: number) {
  await ctx.store.db
    .updateTable('provider_servers')
    .set({ external_id: String(id), updated_at: nowIso(ctx) })
    .where('name', '=', name)
    .execute();
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new InfraktError('CANCELLED', 'cancelled'));
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new InfraktError('CANCELLED', 'cancelled'));
      },
      { once: true },
    );
  });

/** The user's key at the provider: found by fingerprint (reused), else uploaded with managed-by=infrakt. */
async function ensureSshKey(
  api: HetznerApi,
  publicKey: string,
): Promise<{ id: number; name: string; reused: boolean }> {
  const fingerprint = md5Fingerprint(publicKey);
  const found = (await api.listSshKeys({ fingerprint }))[0];
  if (found) return { id: found.id, name: found.name, reused: true };
  const name = `infrakt-${fingerprint.replace(/:/g, '').slice(0, 12)}`;
  try {
    const k = await api.createSshKey({ name, public_key: publicKey, labels: { ...MANAGED_BY } });
    return { id: k.id, name: k.name, reused: false };
  } catch (e) {
    // Uploaded meanwhile (a parallel create): take that one.
    if (e instanceof HetznerApiError && e.apiCode === 'uniqueness_error') {
      const again = (await api.listSshKeys({ fingerprint }))[0] ?? (await api.listSshKeys({ name }))[0];
      if (again) return { id: again.id, name: again.name, reused: true };
    }
    throw e;
  }
}

/** Convenience for apply: prepare and run as a job through the given runner. */
export async function createCloudServer(
  ctx: Ctx,
  input: CreateCloudServerInput,
  run: <T>(plan: JobPlan<T>) => Promise<T> = async (p) => (await ctx.jobs.run(p.spec, p.body)).result,
): Promise<CreateCloudServerResult> {
  return run(await prepareCreateCloudServer(ctx, input));
}

export interface DestroyResult {
  server: string;
  externalId: string | null;
  deletedAtProvider: boolean;
}

/** `server destroy`: deletes the machine at its provider (waiting for the action), then forgets it locally. */
export async function prepareDestroyCloudServer(ctx: Ctx, name: string): Promise<JobPlan<DestroyResult>> {
  parseInput(nameSchema, name, 'name');
  const rec = await ctx.store.db
    .selectFrom('provider_servers')
    .innerJoin('providers', 'providers.id', 'provider_servers.provider_id')
    .select(['provider_servers.external_id', 'providers.name as provider'])
    .where('provider_servers.name', '=', name)
    .executeTakeFirst();
  if (!rec) {
    const local = await ctx.store.db.selectFrom('servers').select('id').where('name', '=', name).executeTakeFirst();
    throw local
      ? new InfraktError('UNSUPPORTED', `server '${name}' was not created by infrakt at a provider`, {
          hint: `to forget it locally: infrakt server remove ${name}`,
        })
      : new InfraktError('NOT_FOUND', `server '${name}' not found`, { hint: 'list servers with: infrakt server list' });
  }
  const serverId = (await ctx.store.db.selectFrom('servers').select('id').where('name', '=', name).executeTakeFirst())
    ?.id;
  return {
    spec: {
      kind: 'server.destroy',
      target: name,
      ...(serverId ? { serverId } : {}),
      params: { provider: rec.provider },
      locks: [`server-create:${name}`],
      plannedSteps: ['delete at provider', 'forget locally'],
    },
    body: async (job) => {
      const { client } = await providerClient(ctx, rec.provider, {
        signal: job.signal,
        onRetry: (why, ms) => job.log(`${why}: retrying in ${ms} ms`),
      });
      const api = hetznerApi(client);
      await ctx.store.db
        .updateTable('provider_servers')
        .set({ status: 'destroying', updated_at: nowIso(ctx) })
        .where('name', '=', name)
        .execute();
      const deleted = await job.step('delete at provider', async (s) => {
        // By id when known; by name (and only ours) when a create was interrupted before the id was recorded.
        const id = rec.external_id
          ? Number(rec.external_id)
          : (await api.listServers({ name, labels: { ...MANAGED_BY } }))[0]?.id;
        if (id === undefined) {
          s.unchanged('not found at the provider');
          return false;
        }
        try {
          const action = await api.deleteServer(id);
          await waitForAction(api, action, { signal: job.signal });
          s.detail(`deleted #${id}`);
          return true;
        } catch (e) {
          if (isInfraktError(e) && e.code === 'NOT_FOUND') {
            s.unchanged(`#${id} was already gone`);
            return false;
          }
          throw e;
        }
      });
      await job.step('forget locally', async () => {
        if (serverId) await removeServer(ctx, name, { force: true });
        await ctx.store.db.deleteFrom('provider_servers').where('name', '=', name).execute();
        await syncKnownHosts(ctx);
      });
      await audit(ctx, 'server.destroy', name, { provider: rec.provider, id: rec.external_id });
      return { server: name, externalId: rec.external_id, deletedAtProvider: deleted };
    },
  };
}

export async function destroyCloudServer(
  ctx: Ctx,
  name: string,
  run: <T>(plan: JobPlan<T>) => Promise<T> = async (p) => (await ctx.jobs.run(p.spec, p.body)).result,
): Promise<DestroyResult> {
  return run(await prepareDestroyCloudServer(ctx, name));
}
