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
  /** `oidc` (OpenID Connect, by discovery) or `github` (GitHub's OAuth endpoints: verified emails from its API). */
  kind: z.enum(['oidc', 'github']).optional(),
  /** OpenID Connect: the issuer. GitHub: https://github.com (the default) or a GitHub Enterprise Server URL. */
  issuer: providerConfigSchema.shape.issuer.optional(),
  /** GitHub Enterprise Server: its REST API base (https://HOST/api/v3). */
  apiUrl: providerConfigSchema.shape.issuer.optional(),
  clientId: providerConfigSchema.shape.clientId,
  clientSecret: providerConfigSchema.shape.clientSecret,
  label: providerConfigSchema.shape.label.optional(),
  allow: z.array(allowRuleSchema).max(200).optional(),
});
export type OidcProviderAdd = z.input<typeof oidcProviderAddSchema>;

/**
 * Adds a sign-in provider. An OpenID Connect one only once its discovery document has been read and checked
 * (issuer, https endpoints, code flow, PKCE S256, a signing algorithm we verify): a typo fails here, not at a
 * user's first sign-in. GitHub has no discovery document; its endpoints are fixed under the URL.
 */
export async function addOidcProvider(ctx: Ctx, input: OidcProviderAdd): Promise<ProviderSummary> {
  const o = parseInput(oidcProviderAddSchema, input, 'provider');
  const kind = o.kind ?? 'oidc';
  if (kind === 'oidc' && !o.issuer)
    throw new InfraktError('VALIDATION', 'invalid issuer: an OpenID Connect provider needs its issuer URL (--issuer)');
  if (kind === 'oidc' && o.apiUrl)
    throw new InfraktError('VALIDATION', 'invalid apiUrl: only a GitHub provider has an API URL');
  const taken = await ctx.store.db
    .selectFrom('oidc_providers')
    .select('name')
    .where('name', '=', o.name)
    .executeTakeFirst();
  if (taken)
    throw conflict(`sign-in provider ${o.name} already exists`, `remove it first: infrakt oidc remove ${o.name}`);
  const issuer = o.issuer ?? 'https://github.com';
  if (kind === 'oidc') {
    try {
      await discover(issuer, { fresh: true });
    } catch (e) {
      if (!isInfraktError(e)) throw e;
      throw new InfraktError('VALIDATION', `cannot use issuer ${issuer}: ${e.message}`, {
        hint: 'check the issuer URL (it must serve /.well-known/openid-configuration) and that this host can reach it',
      });
    }
  }
  return saveProvider(ctx, o.name, {
    kind,
    label: o.label ?? `Sign in with ${kind === 'github' && o.name === 'github' ? 'GitHub' : o.name}`,
    issuer,
    ...(o.apiUrl ? { apiUrl: o.apiUrl } : {}),
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    allow: o.allow ?? [],
  });
}
