import { z } from 'zod';
import { conflict, InfraktError, isInfraktError } from '../../core/errors.js';
import { nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { Ctx } from '../shared/context.js';
import { discover } from './oidc-http.js';
import { allowRuleSchema, type ProviderSummary, providerConfigSchema, saveProvider } from './providers.js';

/** `oidc add` / `POST /api/oidc/providers`: what a person types (the secret arrives separately, never in argv). */
export const oidcProviderAddSchema = z.object({
  name: nameSchema,
  issuer: providerConfigSchema.shape.issuer,
  clientId: providerConfigSchema.shape.clientId,
  clientSecret: providerConfigSchema.shape.clientSecret,
  label: providerConfigSchema.shape.label.optional(),
  allow: z.array(allowRuleSchema).max(200).optional(),
});
export type OidcProviderAdd = z.input<typeof oidcProviderAddSchema>;

/**
 * Adds an OpenID Connect provider only once its discovery document has been read and checked (issuer, https
 * endpoints, code flow, PKCE S256, a signing algorithm we verify): a typo fails here, not at a user's first sign-in.
 */
export async function addOidcProvider(ctx: Ctx, input: OidcProviderAdd): Promise<ProviderSummary> {
  const o = parseInput(oidcProviderAddSchema, input, 'provider');
  const taken = await ctx.store.db
    .selectFrom('oidc_providers')
    .select('name')
    .where('name', '=', o.name)
    .executeTakeFirst();
  if (taken)
    throw conflict(`sign-in provider ${o.name} already exists`, `remove it first: infrakt oidc remove ${o.name}`);
  try {
    await discover(o.issuer, { fresh: true });
  } catch (e) {
    if (!isInfraktError(e)) throw e;
    throw new InfraktError('VALIDATION', `cannot use issuer ${o.issuer}: ${e.message}`, {
      hint: 'check the issuer URL (it must serve /.well-known/openid-configuration) and that this host can reach it',
    });
  }
  return saveProvider(ctx, o.name, {
    kind: 'oidc',
    label: o.label ?? `Sign in with ${o.name}`,
    issuer: o.issuer,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    allow: o.allow ?? [],
  });
}
