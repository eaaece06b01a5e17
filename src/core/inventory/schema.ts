import { z } from 'zod';
import { entryIdSchema, INPUT_NAME_RE, versionSchema } from '../catalog/manifest-schema.js';
import { DB_TYPES, gitUrlSchema, healthCheckSchema } from '../schemas/app.js';
import { parseVolumeSpec } from '../schemas/app-settings.js';
import {
  branchSchema,
  domainSchema,
  ENV_KEY_RE,
  envValueSchema,
  fingerprintSchema,
  hostSchema,
  imageSchema,
  NAME_RE,
  nameSchema,
  portSchema,
  remoteRootSchema,
  sshUserSchema,
} from '../schemas/common.js';
import { secretNameSchema } from '../schemas/secret.js';
import { PROXY_TLS_MODES } from '../schemas/server.js';

/**
 * `infrakt.yaml`: the fleet as code. One zod schema is the source of truth: the loader validates with it
 * (errors carry file, line and field) and `infrakt schema inventory` prints it as JSON Schema for editors.
 * Objects are strict so that a misspelt key is an error at its line, not a silently ignored setting.
 */

const labelKey = z.string().regex(/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/, 'must be a label key such as env or team');
const labelValue = z
  .string()
  .regex(/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/, 'must be a short label value');
export const labelsSchema = z.record(labelKey, labelValue).describe('free-form labels (provider servers get them too)');

export const proxyInventorySchema = z
  .strictObject({
    tls: z.enum(PROXY_TLS_MODES).optional().describe('auto (ACME), internal (local CA) or off'),
    httpPort: portSchema.optional(),
    httpsPort: portSchema.optional(),
    adminAddress: z
      .string()
      .regex(/^(localhost|127\.0\.0\.1|\[::1\]):[0-9]{1,5}$/, 'must be a loopback address such as localhost:2019')
      .optional(),
  })
  .describe("the server's Caddy settings");

export const providerServerSchema = z
  .strictObject({
    name: nameSchema.describe('a provider added with: infrakt provider add hetzner --name <name>'),
    type: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be a server type such as cx22'),
    location: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be a location such as nbg1'),
    image: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be an image name such as debian-12'),
  })
  .describe('create this server at a cloud provider (instead of host)');

/** `<type> <base64>` of an SSH public key (what infrakt pins for an edge device). */
export const publicKeyLineSchema = z
  .string()
  .trim()
  .regex(
    /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]{40,1400}={0,3}$/,
    'must be an SSH public key such as "ssh-ed25519 AAAA…"',
  );

export const edgeInventorySchema = z
  .strictObject({
    relay: nameSchema.optional().describe('the relay the device meets infrakt at (default: this control host)'),
    devicePort: portSchema.optional().describe("the device's own sshd port (default 22)"),
    hostKey: publicKeyLineSchema.describe('the host key infrakt generated for the device and pins'),
  })
  .describe('an edge server behind NAT, reached through its reverse tunnel (registered with server add --edge)');

export const serverInventorySchema = z
  .strictObject({
    host: hostSchema.optional().describe('IP address or host name (omit when a provider creates the server)'),
    user: sshUserSchema.optional().describe('SSH user (default root)'),
    port: portSchema.optional().describe('SSH port (default 22)'),
    key: z.string().min(1).max(4096).optional().describe('SSH private key file (~ and paths relative to this file)'),
    fingerprint: fingerprintSchema.optional().describe('expected host key fingerprint, SHA256:…'),
    root: remoteRootSchema.optional().describe('remote state root (default /opt/infrakt)'),
    provider: providerServerSchema.optional(),
    labels: labelsSchema.optional(),
    provision: z.boolean().optional().describe('provision Docker, Caddy, UFW and fail2ban (default false)'),
    proxy: proxyInventorySchema.optional(),
    pullPolicy: z.enum(['missing', 'never']).optional().describe('pull missing images (default) or never'),
    edge: edgeInventorySchema.optional(),
  })
  .refine((s) => [s.host, s.provider, s.edge].filter(Boolean).length === 1, {
    message:
      'give exactly one of host (an existing machine), provider (infrakt creates it) or edge (a device behind NAT)',
  })
  .refine((s) => !s.edge || (s.port === undefined && s.fingerprint === undefined), {
    message: 'an edge server takes no port or fingerprint (its tunnel port is allocated, its host key is edge.hostKey)',
  });

/** An env value: a literal, or `secret:NAME` (a stored secret, resolved at deploy time). */
export const envEntrySchema = envValueSchema;

export const composeSourceSchema = z.union([
  z.strictObject({ file: z.string().min(1).max(4096).describe('compose file, relative to this file') }),
  z.strictObject({ content: z.string().min(1).max(1_000_000).describe('the compose file inline') }),
]);

/** An app volume as `app update --volume` takes it: `NAME:/path[:ro]` (named, kept) or `./dir:/path[:ro]`. */
export const volumeSchema = z.string().superRefine((s, ctx) => {
  try {
    parseVolumeSpec(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});
/** Limits as `app update --memory/--cpus` takes them; `limits: {}` removes them. */
export const limitsSchema = z.strictObject({
  memory: z
    .string()
    .regex(/^[0-9]{1,12}[bkmgBKMG]?$/, 'must be a size such as 512m or 2g (units b, k, m, g)')
    .optional(),
  cpus: z.number().min(0.01).max(512).optional(),
});

export const appInventorySchema = z
  .strictObject({
    server: nameSchema.describe('name of a server in this file or already registered'),
    image: imageSchema.optional(),
    git: gitUrlSchema.optional(),
    branch: branchSchema.optional(),
    compose: composeSourceSchema.optional(),
    port: portSchema.optional().describe('container port (default 3000)'),
    domains: z.array(domainSchema).max(20).optional().describe('domains routed to the app'),
    health: z
      .strictObject({
        path: healthCheckSchema.shape.path.optional(),
        timeout: z.number().int().min(1).max(3600).optional().describe('seconds to become healthy'),
      })
      .optional(),
    env: z
      .record(z.string().regex(ENV_KEY_RE, 'must be a variable name such as DATABASE_URL'), envEntrySchema)
      .optional()
      .describe('values, or secret:NAME references; omit to leave env unmanaged by this file'),
    volumes: z
      .array(volumeSchema)
      .max(32)
      .optional()
      .describe('NAME:/path or ./dir:/path, optionally :ro; omit to leave them unmanaged, [] removes them'),
    limits: limitsSchema.optional().describe('memory / cpus; omit to leave them unmanaged, {} removes them'),
  })
  .refine((a) => [a.image, a.git, a.compose].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one source: image, git or compose',
  })
  .refine((a) => a.branch === undefined || a.git !== undefined, { message: 'branch goes with git', path: ['branch'] });

export const databaseInventorySchema = z.strictObject({
  server: nameSchema,
  type: z.enum(DB_TYPES),
  version: z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be an image tag such as 16 or 7-alpine'))
    .optional(),
  secret: secretNameSchema.optional().describe('store the connection string as this secret when created'),
  backup: z
    .strictObject({
      schedule: z.string().min(9).max(100).describe('5-field cron expression'),
      keep: z.number().int().min(1).max(365).optional(),
    })
    .optional(),
});

export const routeInventorySchema = z.strictObject({
  server: nameSchema,
  domain: domainSchema,
  port: portSchema.describe('a port on the server’s 127.0.0.1'),
});

/** An input value: a literal, or `secret:NAME` (a stored secret, resolved when apply installs or upgrades). */
const catalogInputValue = z
  .union([z.string(), z.number(), z.boolean()])
  .transform(String)
  .pipe(z.string().max(65_536, 'value too long (max 64 KiB)'));

export const catalogInstallSchema = z
  .strictObject({
    server: nameSchema.describe('name of a server in this file'),
    entry: entryIdSchema.describe('catalog entry id (infrakt catalog list)'),
    version: z
      .union([z.string(), z.number()])
      .transform(String)
      .pipe(versionSchema)
      .optional()
      .describe(
        'entry version: a different one upgrades (health-gated, rolled back on failure); omit to install the newest and upgrade by hand',
      ),
    domain: domainSchema.optional().describe('domain routed to the app (compose entries)'),
    inputs: z
      .record(z.string().regex(INPUT_NAME_RE, 'must be an input name (infrakt catalog show ENTRY)'), catalogInputValue)
      .optional()
      .describe('input values, or secret:NAME references; inputs not given keep their installed (or generated) values'),
  })
  .describe('a catalog install: compose entries become the app NAME, host entries run on the server');

const named = <T extends z.ZodType>(value: T) =>
  z.record(z.string().regex(NAME_RE, 'names are 1-63 characters of a-z, 0-9 and "-"'), value);

export const inventorySchema = z
  .strictObject({
    version: z.literal(1).describe('format version of this file'),
    servers: named(serverInventorySchema).optional(),
    apps: named(appInventorySchema).optional(),
    databases: named(databaseInventorySchema).optional(),
    routes: z.array(routeInventorySchema).optional(),
    catalog: named(catalogInstallSchema)
      .optional()
      .describe('catalog installs by name (infrakt catalog list; --catalog-dir adds your own entries)'),
  })
  .describe('infrakt inventory: servers, apps, databases, routes and catalog installs, applied with infrakt apply');

export type InventoryFile = z.output<typeof inventorySchema>;
export type ServerInventory = z.output<typeof serverInventorySchema>;
export type AppInventory = z.output<typeof appInventorySchema>;
export type DatabaseInventory = z.output<typeof databaseInventorySchema>;
export type RouteInventory = z.output<typeof routeInventorySchema>;
export type CatalogInventory = z.output<typeof catalogInstallSchema>;

/** JSON Schema (draft 2020-12) of infrakt.yaml, for editors (yaml-language-server, VS Code). */
export function inventoryJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(inventorySchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://infrakt.dev/schemas/inventory.json', title: 'infrakt.yaml' };
}
