// The catalog's views and request bodies: what /api/catalog answers and accepts, documented in OpenAPI and the
// source of the services' and the dashboard's types.
import { z } from 'zod';
import { INPUT_TYPES } from '../../catalog/input-types.js';

export const catalogEntrySummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.string(),
    versions: z.array(z.string()),
    description: z.string(),
    category: z.string(),
    icon: z.string(),
    website: z.string(),
    kind: z.enum(['compose', 'host']),
    tags: z.array(z.string()),
    source: z.enum(['builtin', 'user']),
    dockerSocket: z.enum(['none', 'proxy', 'direct']).meta({
      description: '`direct`: the app gets full control of this server; `proxy`: a filtered socket proxy',
    }),
  })
  .meta({ id: 'CatalogEntrySummary' });

export const catalogInputViewSchema = z
  .object({
    name: z.string(),
    type: z.enum(INPUT_TYPES),
    label: z.string(),
    help: z.string().optional(),
    placeholder: z.string().optional(),
    required: z.boolean(),
    default: z.string().optional(),
    env: z.string(),
    secret: z.boolean(),
    pattern: z.string().optional(),
    pattern_message: z.string().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    min_length: z.number().optional(),
    max_length: z.number().optional(),
    allowed_values: z.array(z.string()).optional(),
    visible_if: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
    generate: z.string().optional(),
  })
  .meta({ id: 'CatalogInput' });

export const catalogEntryDetailSchema = catalogEntrySummarySchema
  .extend({
    inputs: z.array(catalogInputViewSchema),
    outputs: z.array(z.object({ label: z.string(), secret: z.boolean() })),
    route: z.object({ service: z.string(), port: z.number() }).nullable(),
    volumes: z.array(z.object({ name: z.string(), description: z.string() })),
    os: z.array(z.object({ id: z.string(), min_version: z.string().optional() })).nullable(),
    timeoutSeconds: z.number(),
    dockerSocketReason: z.string().nullable(),
    upgradeNotes: z.string().nullable(),
    idempotencyCheck: z.boolean(),
    removable: z.boolean().meta({
      description:
        '`catalog uninstall` can remove an install: always for apps, with an uninstall script for host entries',
    }),
  })
  .meta({ id: 'CatalogEntry' });

export const catalogStackViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    entries: z.array(z.object({ entry: z.string(), name: z.string() })),
    inputs: z.array(z.object({ name: z.string(), type: z.string(), label: z.string(), required: z.boolean() })),
    source: z.enum(['builtin', 'user']),
  })
  .meta({ id: 'CatalogStack' });

const values = z
  .record(z.string(), z.union([z.string().max(65_536), z.number(), z.boolean()]))
  .default({})
  .meta({ description: 'Input values by input name; secrets left out are generated' });

export const catalogInstallBody = z
  .object({
    server: z.string(),
    name: z.string().optional(),
    domain: z.string().optional(),
    version: z.string().optional(),
    values,
  })
  .meta({ id: 'CatalogInstallBody' });

export const catalogStackInstallBody = z
  .object({
    server: z.string(),
    prefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,20}$/, 'must be a short name prefix such as ops-')
      .optional()
      .meta({ description: 'prefix for the app names, e.g. ops-' }),
    values: values.meta({ description: 'Shared input values (and entry inputs of the same name)' }),
  })
  .meta({ id: 'CatalogStackInstallBody' });

export const catalogUpgradeBody = z
  .object({
    server: z.string().optional(),
    to: z.string().optional(),
    domain: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'move the app to this domain (null: remove it); checked and routed by the same deploy' }),
    values,
  })
  .meta({ id: 'CatalogUpgradeBody' });

/** What the catalog says about an app: the entry and version it runs, and the newest version available. */
export const appCatalogStatusSchema = z
  .object({
    catalog: z
      .object({
        entry: z.string(),
        name: z.string().nullable().meta({ description: 'the entry name, null when it is no longer in the catalog' }),
        version: z.string(),
        newest: z.string().nullable(),
        upgradeAvailable: z.boolean(),
        upgradeNotes: z.string().nullable().meta({ description: "the newest version's upgrade notes" }),
      })
      .nullable()
      .meta({ description: 'null: the app was not installed from the catalog' }),
  })
  .meta({ id: 'AppCatalogStatus' });
export type AppCatalogStatus = z.infer<typeof appCatalogStatusSchema>;

export const catalogOutputsSchema = z
  .object({ outputs: z.array(z.object({ label: z.string(), value: z.string(), secret: z.boolean() })) })
  .meta({ id: 'CatalogOutputs' });

/** An installed app's outputs, filled from its stored values; secret values only when revealed. */
export const appCatalogOutputsSchema = z
  .object({
    app: z.string(),
    entry: z.string(),
    version: z.string(),
    outputs: z.array(
      z.object({
        label: z.string(),
        value: z.string().nullable().meta({ description: 'null: a secret, not revealed' }),
        secret: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'AppCatalogOutputs' });
export type AppCatalogOutputs = z.infer<typeof appCatalogOutputsSchema>;

export type CatalogEntrySummary = z.infer<typeof catalogEntrySummarySchema>;
export type CatalogInputView = z.infer<typeof catalogInputViewSchema>;
export type CatalogEntryDetail = z.infer<typeof catalogEntryDetailSchema>;
export type CatalogStackView = z.infer<typeof catalogStackViewSchema>;
export type CatalogOutputs = z.infer<typeof catalogOutputsSchema>;

/** What `catalog installed` lists: apps installed from compose entries and host entries run on servers. */
export const catalogInstalledSchema = z
  .object({
    name: z.string().meta({ description: 'the app name, or the entry id of a host entry' }),
    entry: z.string(),
    version: z.string(),
    kind: z.enum(['compose', 'host']),
    server: z.string(),
    status: z.string(),
    domain: z.string().nullable(),
    updatedAt: z.string(),
    removable: z.boolean().meta({
      description:
        'catalog uninstall can remove it: apps always, host entries when their version has an uninstall script',
    }),
  })
  .meta({ id: 'CatalogInstalled' });
export type CatalogInstalled = z.infer<typeof catalogInstalledSchema>;
