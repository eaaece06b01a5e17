import { z } from 'zod';
import { ROLES } from '../../core/access.js';
import { InfraktError, notFound } from '../../core/errors.js';
import { nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

/**
 * Who may sign in through a provider without an account yet: an exact verified email, or every verified email of
 * a domain (`@example.com`), with the role (and servers) their account gets on first sign-in.
 */
export const allowRuleSchema = z.object({
  match: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^([^\s@]+@|@)[a-z0-9.-]+\.[a-z]{2,}$/, 'must be an email address or @domain'),
  role: z.enum(ROLES),
  servers: z.array(nameSchema).optional(),
});
export type AllowRule = z.infer<typeof allowRuleSchema>;

/** Loopback hosts may speak plain HTTP (a provider on this machine); everything else must be https. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Why a provider URL is refused, or null: http(s), no credentials or fragment, https unless loopback. */
export function providerUrlProblem(u: string): string | null {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  if (url.username || url.password || url.hash || url.search)
    return 'must not carry credentials, a query or a fragment';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
    return 'must use https (plain http only for a provider on this machine: 127.0.0.1, ::1, localhost)';
  return null;
}

const urlSchema = z
  .string()
  .trim()
  .superRefine((u, c) => {
    const problem = providerUrlProblem(u);
    if (problem) c.addIssue({ code: 'custom', message: problem });
  });

export const providerConfigSchema = z.object({
  kind: z.enum(['oidc', 'github']),
  /** Button text on the login page. */
  label: z.string().trim().min(1).max(60),
  /** OIDC: the issuer (its /.well-known/openid-configuration is read); GitHub: https://github.com (or Enterprise). */
  issuer: urlSchema,
  /** GitHub: the REST API base (https://api.github.com). */
  apiUrl: urlSchema.optional(),
  clientId: z.string().trim().min(1).max(512),
  clientSecret: z.string().min(1).max(4096),
  allow: z.array(allowRuleSchema).max(200).default([]),
});
export type ProviderConfig = z.infer<typeof providerConfigSchema>;
export type ProviderInput = z.input<typeof providerConfigSchema>;

/** Everything about a provider is sealed under the master key, bound to its name (issuer, client id and secret). */
const seal = (ctx: Ctx, name: string, cfg: ProviderConfig) =>
  ctx.cipher.encrypt(0, `oidc/${name}`, JSON.stringify(cfg));
const unseal = (ctx: Ctx, name: string, sealed: string): ProviderConfig =>
  providerConfigSchema.parse(JSON.parse(ctx.cipher.decrypt(0, `oidc/${name}`, sealed, { app: '(sign-in providers)' })));

export interface ProviderSummary {
  name: string;
  kind: 'oidc' | 'github';
  label: string;
  issuer: string;
  clientId: string;
  allow: AllowRule[];
}

const summary = (name: string, c: ProviderConfig): ProviderSummary => ({
  name,
  kind: c.kind,
  label: c.label,
  issuer: c.issuer,
  clientId: c.clientId,
  allow: c.allow,
});

/** Stores a validated provider, sealed (a second save of the name replaces it); `oidc add` goes through addOidcProvider. */
export async function saveProvider(ctx: Ctx, name: string, input: ProviderInput): Promise<ProviderSummary> {
  const n = parseInput(nameSchema, name, 'name');
  const cfg = parseInput(providerConfigSchema, input, 'provider');
  if (cfg.kind === 'github') cfg.apiUrl ??= cfg.issuer === 'https://github.com' ? 'https://api.github.com' : undefined;
  if (cfg.kind === 'github' && !cfg.apiUrl)
    throw new InfraktError('VALIDATION', 'invalid apiUrl: GitHub Enterprise needs its API URL (--api-url)');
  const now = nowIso(ctx);
  const sealed = seal(ctx, n, cfg);
  await ctx.store.db
    .insertInto('oidc_providers')
    .values({ name: n, kind: cfg.kind, config_enc: sealed, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ kind: cfg.kind, config_enc: sealed, updated_at: now }))
    .execute();
  return summary(n, cfg);
}

export async function loadProvider(ctx: Ctx, name: string): Promise<ProviderConfig> {
  const row = await ctx.store.db.selectFrom('oidc_providers').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound('sign-in provider', name, 'list them with: infrakt oidc list');
  return unseal(ctx, row.name, row.config_enc);
}

export async function listProviders(ctx: Ctx): Promise<ProviderSummary[]> {
  const rows = await ctx.store.db.selectFrom('oidc_providers').selectAll().orderBy('name').execute();
  return rows.map((r) => summary(r.name, unseal(ctx, r.name, r.config_enc)));
}

/** What the login page may show without credentials: names, kinds and labels only. */
export async function publicProviders(ctx: Ctx): Promise<{ name: string; kind: 'oidc' | 'github'; label: string }[]> {
  return (await listProviders(ctx)).map(({ name, kind, label }) => ({ name, kind, label }));
}

export async function removeProvider(ctx: Ctx, name: string): Promise<{ removed: string }> {
  const r = await ctx.store.db.deleteFrom('oidc_providers').where('name', '=', name).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw notFound('sign-in provider', name, 'list them with: infrakt oidc list');
  return { removed: name };
}
