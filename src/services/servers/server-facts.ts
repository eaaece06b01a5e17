import type { ServerRow } from '../../adapters/store/schema.js';
import type { ComposeFlavour } from '../../core/commands/compose.js';
import type { Ctx } from '../shared/context.js';

/**
 * What deploys learn about a server and keep: the compose flavour and the Docker version, with the fingerprint
 * of the Docker binaries (`docker.binariesFingerprint()`) they were learnt from. A deploy reads the fingerprint
 * in its prepare batch anyway; while it matches, the facts are not asked for again.
 */
export interface ServerFacts {
  fingerprint: string;
  flavour: ComposeFlavour;
  dockerVersion: string | null;
}

export function cachedFacts(server: Pick<ServerRow, 'facts_json'>): ServerFacts | null {
  if (!server.facts_json) return null;
  try {
    const f = JSON.parse(server.facts_json) as Partial<ServerFacts>;
    if (typeof f.fingerprint !== 'string' || !f.fingerprint || (f.flavour !== 'v1' && f.flavour !== 'v2')) return null;
    return { fingerprint: f.fingerprint, flavour: f.flavour, dockerVersion: f.dockerVersion ?? null };
  } catch {
    return null;
  }
}

export async function saveFacts(ctx: Ctx, serverId: number, facts: ServerFacts): Promise<void> {
  await ctx.store.db
    .updateTable('servers')
    .set({ facts_json: JSON.stringify(facts) })
    .where('id', '=', serverId)
    .execute();
}

/** Forgets the kept facts (a deploy failed: the next one learns them again rather than trust them). */
export async function forgetFacts(ctx: Ctx, serverId: number): Promise<void> {
  await ctx.store.db.updateTable('servers').set({ facts_json: null }).where('id', '=', serverId).execute();
}
