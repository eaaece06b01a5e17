import { z } from 'zod';
import { LEVELS, PRINCIPAL_KINDS, ROLES } from '../../access.js';
import { RESOURCE_STATES, RESOURCE_STATUSES } from '../../lifecycle/resources.js';

/** A resource's place in its life (state) and what its latest operation is doing (status): core/lifecycle. */
export const lifecycleSchema = z
  .object({ state: z.enum(RESOURCE_STATES), status: z.enum(RESOURCE_STATUSES) })
  .meta({ id: 'Lifecycle' });

export const userViewSchema = z
  .object({
    name: z.string(),
    role: z.enum(ROLES),
    /** Servers the user is limited to; null: every server. */
    servers: z.array(z.string()).nullable(),
    email: z.string().nullable(),
    /** false: the user signs in only through OpenID Connect. */
    password: z.boolean(),
    sessions: z.number().int(),
    createdAt: z.string(),
  })
  .meta({ id: 'User' });
export type UserView = z.infer<typeof userViewSchema>;

export const tokenViewSchema = z
  .object({
    name: z.string(),
    /** The token's first characters, to recognise it. */
    prefix: z.string(),
    scope: z.enum(LEVELS),
    app: z.string().nullable(),
    server: z.string().nullable(),
    status: z.enum(['active', 'expired', 'revoked']),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'Token' });
export type TokenView = z.infer<typeof tokenViewSchema>;

export const tokenCreatedSchema = z
  .object({
    token: tokenViewSchema,
    /** The secret, shown this once: only its hash is stored. */
    secret: z.string(),
  })
  .meta({ id: 'TokenCreated' });
export type TokenCreated = z.infer<typeof tokenCreatedSchema>;

/** Who the caller is (GET /api/auth/me). */
export const meSchema = z
  .object({
    kind: z.enum(PRINCIPAL_KINDS),
    name: z.string(),
    level: z.enum(LEVELS),
    role: z.enum(ROLES).nullable(),
    servers: z.array(z.string()).nullable(),
    apps: z.array(z.string()).nullable(),
    /** Send it as X-CSRF-Token on every change made with the session cookie; null without a session. */
    csrfToken: z.string().nullable(),
    /** When the session ends at the latest, and after how long idle. */
    session: z.object({ expiresAt: z.string(), idleTimeoutSeconds: z.number().int(), via: z.string() }).nullable(),
  })
  .meta({ id: 'Me' });
export type MeView = z.infer<typeof meSchema>;

/** The sign-in options the login page offers. */
export const authProvidersSchema = z
  .object({
    password: z.boolean(),
    providers: z.array(z.object({ name: z.string(), kind: z.enum(['oidc', 'github']), label: z.string() })),
  })
  .meta({ id: 'AuthProviders' });
export type AuthProvidersView = z.infer<typeof authProvidersSchema>;

export const auditEntrySchema = z
  .object({
    seq: z.number().int().nullable(),
    ts: z.string(),
    actorKind: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    params: z.record(z.string(), z.unknown()),
    result: z.string(),
    source: z.string(),
    hash: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditVerifySchema = z
  .object({
    ok: z.boolean(),
    entries: z.number().int(),
    /** Entries written before the chain existed (sealed on the first write after the upgrade). */
    unsealed: z.number().int(),
    head: z.string().nullable(),
    /** The first entry that is altered, or missing (a gap in the sequence, or a broken link). */
    problem: z
      .object({ seq: z.number().int(), kind: z.enum(['altered', 'missing', 'unsealed']), message: z.string() })
      .nullable(),
  })
  .meta({ id: 'AuditVerify' });
export type AuditVerify = z.infer<typeof auditVerifySchema>;

export const policyViewSchema = z
  .object({
    operation: z.string(),
    /** Only on servers with this label (`key=value` or `key`); null: every server. */
    serverLabel: z.string().nullable(),
    expiresAfterSeconds: z.number().int(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'Policy' });
export type PolicyView = z.infer<typeof policyViewSchema>;

export const approvalViewSchema = z
  .object({
    jobId: z.string(),
    operation: z.string(),
    target: z.string(),
    /** pending, approved, rejected or expired. */
    state: z.enum(['pending', 'approved', 'rejected', 'expired']),
    jobStatus: z.string(),
    requestedBy: z.string(),
    requestedAt: z.string(),
    expiresAt: z.string(),
    policy: z.string(),
    /** What would change: field → [now, after]; or a list of what is removed. */
    diff: z.array(z.object({ field: z.string(), before: z.string().nullable(), after: z.string().nullable() })),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    comment: z.string().nullable(),
  })
  .meta({ id: 'Approval' });
export type ApprovalView = z.infer<typeof approvalViewSchema>;

/** A configured sign-in provider as admins see it (the client secret never leaves the store). */
export const oidcProviderViewSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['oidc', 'github']),
    label: z.string(),
    issuer: z.string(),
    clientId: z.string(),
    allow: z.array(
      z.object({
        match: z.string(),
        role: z.enum(['viewer', 'deployer', 'admin']),
        servers: z.array(z.string()).optional(),
      }),
    ),
  })
  .meta({ id: 'OidcProvider' });
export type OidcProviderView = z.infer<typeof oidcProviderViewSchema>;
