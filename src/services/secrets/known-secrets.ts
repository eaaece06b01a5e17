import { Secret } from '../../core/secret.js';
import type { Ctx } from '../shared/context.js';
import { allSecretValues } from './secrets.js';

/**
 * Every secret value infrakt knows (env values of all apps, named secrets): scrubbed from text that leaves
 * through a channel that must never carry one (MCP tool results, whatever a server prints).
 */
export async function knownSecretValues(ctx: Ctx): Promise<Secret[]> {
  const env = await ctx.store.db
    .selectFrom('env_vars')
    .innerJoin('apps', 'apps.id', 'env_vars.app_id')
    .select(['env_vars.app_id', 'env_vars.key', 'env_vars.value_enc', 'apps.name'])
    .execute();
  const values = env.map((e) => new Secret(ctx.cipher.decrypt(e.app_id, e.key, e.value_enc, { app: e.name })));
  return [...values, ...(await allSecretValues(ctx)).values()];
}
