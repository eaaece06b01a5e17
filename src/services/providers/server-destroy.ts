import { hetznerApi, waitForAction } from '../../adapters/providers/hetzner/api.js';
import { InfraktError, isInfraktError } from '../../core/errors.js';
import { nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import { syncKnownHosts } from '../servers/server-remote.js';
import { removeServer } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { MANAGED_BY } from './cloud-helpers.js';
import { providerClient } from './providers.js';

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
