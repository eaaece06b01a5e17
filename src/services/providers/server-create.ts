import { type HcloudServer, hetznerApi, waitForAction } from '../../adapters/providers/hetzner/api.js';
import { HetznerApiError } from '../../adapters/providers/hetzner/client.js';
import { hostKeyFromLine } from '../../adapters/ssh/host-key.js';
import { InfraktError } from '../../core/errors.js';
import type { JobContext } from '../../core/jobs.js';
import { hostKeyUserData } from '../../core/providers/cloud-init.js';
import { nameSchema, remoteRootSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { ServerView } from '../../core/schemas/views/servers.js';
import { syncKnownHosts } from '../servers/server-remote.js';
import { getServer, registerServer } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { ensureSshKey, MANAGED_BY, recordExternalId, resolveKey, SLUG, sleep, waitForSsh } from './cloud-helpers.js';
import { providerClient } from './providers.js';

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
    if (!SLUG.test(v))
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

  const fingerprint = await job.step('wait for ssh', (s) =>
    waitForSsh(ctx, job, s, input.name, input.sshTimeoutMs ?? 300_000),
  );

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

/** Convenience for apply: prepare and run as a job through the given runner. */
export async function createCloudServer(
  ctx: Ctx,
  input: CreateCloudServerInput,
  run: <T>(plan: JobPlan<T>) => Promise<T> = async (p) => (await ctx.jobs.run(p.spec, p.body)).result,
): Promise<CreateCloudServerResult> {
  return run(await prepareCreateCloudServer(ctx, input));
}
