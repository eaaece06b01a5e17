// The catalog manifest format: this zod schema is its single source of truth. `infrakt catalog schema` prints
// it as JSON Schema for editors; loading a manifest parses it here and names the path of a bad field.
import { z } from 'zod';
import { GENERATOR_LIMITS, INPUT_TYPES, parseGenerator } from './input-types.js';
import { checkInputValue } from './inputs.js';

export const ENTRY_ID_RE = /^[a-z0-9][a-z0-9-]{0,40}$/;
export const INPUT_NAME_RE = /^[a-z][a-z0-9_]{0,62}$/;
const ENV_RE = /^[A-Z][A-Z0-9_]{0,62}$/;
/** Variables every entry gets besides its inputs (compose interpolation, host script env). */
export const BUILTIN_VARS = ['INFRAKT_APP', 'INFRAKT_DOMAIN', 'INFRAKT_URL', 'INFRAKT_SERVER'] as const;

export const entryIdSchema = z
  .string()
  .regex(ENTRY_ID_RE, 'must be 1-41 characters of a-z, 0-9 and "-", starting with a letter or digit');
export const versionSchema = z
  .string()
  .regex(/^[0-9A-Za-z][0-9A-Za-z._+-]{0,40}$/, 'must be a version such as 1.2.3 or 2024.12.3');

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const text = (max: number) => z.string().trim().min(1).max(max);

export const inputSchema = z
  .object({
    name: z.string().regex(INPUT_NAME_RE, 'must be lower-case letters, digits and "_", starting with a letter'),
    type: z.enum(INPUT_TYPES),
    label: text(80),
    help: text(500).optional(),
    placeholder: text(120).optional(),
    required: z.boolean().default(false),
    default: scalar.optional(),
    env: z
      .string()
      .regex(ENV_RE, 'must be upper-case letters, digits and "_" (an environment variable name)')
      .optional()
      .describe('environment variable name (default: the input name in upper case)'),
    secret: z.boolean().optional().describe('never shown back or logged (always true for password inputs)'),
    pattern: z.string().min(1).max(500).optional().describe('regular expression the whole value must match'),
    pattern_message: text(200).optional(),
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    min_length: z.number().int().min(0).max(65_536).optional(),
    max_length: z.number().int().min(1).max(65_536).optional(),
    allowed_values: z.array(scalar).min(1).max(100).optional(),
    visible_if: z
      .record(z.string().regex(INPUT_NAME_RE), z.union([scalar, z.array(scalar).min(1)]))
      .optional()
      .describe('shown (and sent) only when every named input has this value or one of these values'),
    boolean_format: z
      .enum(['true/false', '1/0', 'yes/no'])
      .optional()
      .describe('how a boolean reaches the environment (default true/false)'),
    generate: z
      .string()
      .refine((g) => parseGenerator(g) !== null, {
        message: `must be password:N (${GENERATOR_LIMITS.password.join('-')}), hex:N (${GENERATOR_LIMITS.hex.join('-')}), base64:N (${GENERATOR_LIMITS.base64.join('-')}) or uuid`,
      })
      .optional()
      .describe('generate a secret when no value is given: password:32, hex:64, base64:32, uuid'),
  })
  .strict()
  .transform((i) => ({
    ...i,
    env: i.env ?? i.name.toUpperCase(),
    secret: i.type === 'password' || Boolean(i.secret),
    visible_if: i.visible_if
      ? Object.fromEntries(Object.entries(i.visible_if).map(([k, v]) => [k, Array.isArray(v) ? v : v]))
      : undefined,
  }))
  .superRefine((i, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (i.type === 'select' && !i.allowed_values) issue('allowed_values', 'a select input needs allowed_values');
    if (i.pattern) {
      try {
        new RegExp(i.pattern, 'u');
      } catch {
        issue('pattern', 'is not a valid regular expression');
      }
    }
    if (i.min !== undefined && i.max !== undefined && i.min > i.max) issue('min', 'must not be greater than max');
    if (i.min_length !== undefined && i.max_length !== undefined && i.min_length > i.max_length)
      issue('min_length', 'must not be greater than max_length');
    if (i.boolean_format && i.type !== 'boolean') issue('boolean_format', 'only boolean inputs have a boolean_format');
    if (i.generate && !['string', 'password'].includes(i.type))
      issue('generate', 'only string and password inputs can be generated');
    // No entry ships a credential: secrets are given by the user or generated per install.
    if (i.secret && i.default !== undefined) issue('default', 'a secret input cannot have a default: use generate');
    if (i.default !== undefined) {
      const r = checkInputValue({ ...i, required: false }, i.default);
      if (!r.ok) issue('default', `the default ${r.message}`);
    }
    if (i.env.startsWith('INFRAKT_')) issue('env', 'INFRAKT_* names are reserved for built-in variables');
  });

const outputSchema = z
  .object({
    label: text(80),
    value: text(500).describe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: documents the ${VAR} syntax of manifests
      'text with ${VAR} references to input env names and built-ins, e.g. https://${INFRAKT_DOMAIN}',
    ),
    secret: z.boolean().default(false).describe('shown once after install, never stored in job records'),
  })
  .strict();

const routeSchema = z
  .object({
    service: z.string().regex(/^[a-zA-Z0-9._-]+$/),
    port: z.number().int().min(1).max(65535),
  })
  .strict();

const volumeSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/),
    description: text(200),
  })
  .strict();

const osSchema = z
  .object({
    id: z.enum(['debian', 'ubuntu']),
    min_version: z
      .string()
      .regex(/^\d+(?:\.\d+)?$/)
      .optional(),
  })
  .strict();

export const SOCKET_ACCESS = ['none', 'proxy', 'direct'] as const;

export const manifestSchema = z
  .object({
    id: entryIdSchema,
    name: text(80),
    version: versionSchema,
    description: text(500),
    category: z.string().regex(/^[a-z][a-z-]{1,30}$/, 'must be a lower-case word such as monitoring'),
    icon: text(16).describe('an emoji or a short text shown on the catalog card'),
    website: z.url({ protocol: /^https$/ }),
    kind: z.enum(['compose', 'host']),
    tags: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/))
      .max(20)
      .default([]),
    os: z.array(osSchema).min(1).optional().describe('supported systems (host entries); checked before anything runs'),
    inputs: z.array(inputSchema).max(60).default([]),
    outputs: z.array(outputSchema).max(20).default([]),
    routes: z
      .array(routeSchema)
      .max(1)
      .default([])
      .describe('the service and container port that get the app domain through Caddy (compose entries)'),
    volumes: z.array(volumeSchema).max(20).default([]).describe('named volumes holding the entry data'),
    health: z
      .object({
        path: z
          .string()
          .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/)
          .default('/'),
        accept_status: z.array(z.number().int().min(200).max(499)).max(10).optional(),
      })
      .strict()
      .optional(),
    timeout_seconds: z
      .number()
      .int()
      .min(5)
      .max(7200)
      .default(600)
      .describe('host: installer time limit (exit 124); compose: how long a new release may take to become healthy'),
    retries: z
      .object({
        max: z.number().int().min(0).max(5).default(2),
        backoff_seconds: z.number().int().min(1).max(300).default(5),
      })
      .strict()
      .default({ max: 2, backoff_seconds: 5 })
      .describe('host: retries of an install that exits 2, with exponential backoff'),
    docker_socket: z
      .object({
        access: z.enum(SOCKET_ACCESS),
        reason: text(300),
      })
      .strict()
      .optional()
      .describe('proxy: through docker-socket-proxy (DOCKER_HOST); direct: the app mounts the socket itself'),
    upgrade_notes: text(2000).optional(),
    template: z
      .string()
      .regex(/^[A-Za-z0-9._-]+\.ya?ml$/)
      .optional()
      .describe('compose template file in the entry folder (default docker-compose.yml)'),
    install_script: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional(),
    check_script: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional(),
    uninstall_script: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional()
      .describe('host entries: undoes the install (default uninstall.sh when present); without one, no removal'),
  })
  .strict()
  .superRefine((m, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const names = new Map<string, number>();
    const envs = new Map<string, number>();
    m.inputs.forEach((input, i) => {
      if (names.has(input.name)) issue(['inputs', i, 'name'], `duplicate input name '${input.name}'`);
      if (envs.has(input.env)) issue(['inputs', i, 'env'], `duplicate environment name '${input.env}'`);
      names.set(input.name, i);
      envs.set(input.env, i);
    });
    m.inputs.forEach((input, i) => {
      for (const dep of Object.keys(input.visible_if ?? {})) {
        if (!names.has(dep)) issue(['inputs', i, 'visible_if', dep], `refers to unknown input '${dep}'`);
        else if (dep === input.name) issue(['inputs', i, 'visible_if', dep], 'an input cannot depend on itself');
      }
    });
    const cycle = visibleIfCycle(m.inputs);
    if (cycle) issue(['inputs'], `visible_if conditions form a cycle: ${cycle.join(' → ')}`);
    const vars = new Set<string>([...BUILTIN_VARS, ...m.inputs.map((i) => i.env)]);
    m.outputs.forEach((o, i) => {
      for (const v of templateVars(o.value))
        if (!vars.has(v)) issue(['outputs', i, 'value'], `refers to unknown variable \${${v}}`);
    });
    if (m.kind === 'compose') {
      if (m.routes.length === 0) issue(['routes'], 'a compose entry needs a route (service and port)');
      if (m.os) issue(['os'], 'os requirements are for host entries');
      if (m.install_script || m.check_script || m.uninstall_script)
        issue(['install_script'], 'install scripts are for host entries');
    } else {
      if (!m.os) issue(['os'], 'a host entry must say which systems it supports');
      for (const k of ['routes', 'volumes'] as const) if (m[k].length) issue([k], `${k} are for compose entries`);
      if (m.health) issue(['health'], 'health checks are for compose entries (host entries use check.sh)');
      if (m.docker_socket) issue(['docker_socket'], 'docker_socket is for compose entries');
      if (m.template) issue(['template'], 'templates are for compose entries');
    }
  });

export type CatalogManifest = z.output<typeof manifestSchema>;
export type CatalogManifestInput = z.input<typeof manifestSchema>;

/** `${NAME}` references of a display template (outputs, stack values). */
export function templateVars(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string);
}

/** Substitutes `${NAME}` in display text (never a shell or YAML): unknown names become empty. */
export function fillTemplate(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => vars[name] ?? '');
}

function visibleIfCycle(inputs: readonly { name: string; visible_if?: Record<string, unknown> | undefined }[]) {
  const deps = new Map(inputs.map((i) => [i.name, Object.keys(i.visible_if ?? {})]));
  const state = new Map<string, 'open' | 'done'>();
  const walk = (n: string, path: string[]): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open');
    for (const d of deps.get(n) ?? []) {
      const c = walk(d, [...path, n]);
      if (c) return c;
    }
    state.set(n, 'done');
    return null;
  };
  for (const i of inputs) {
    const c = walk(i.name, []);
    if (c) return c;
  }
  return null;
}

export const stackSchema = z
  .object({
    id: entryIdSchema,
    name: text(80),
    description: text(500),
    inputs: z.array(inputSchema).max(30).default([]).describe('shared inputs: given once, passed to every entry'),
    entries: z
      .array(
        z
          .object({
            entry: entryIdSchema,
            name: z
              .string()
              .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
              .optional()
              .describe('app name (default: the entry id)'),
            // biome-ignore lint/suspicious/noTemplateCurlyInString: documents the ${VAR} syntax of stacks
            domain: text(253).optional().describe('domain template, e.g. logs.${BASE_DOMAIN} (skipped when empty)'),
            values: z.record(z.string().regex(INPUT_NAME_RE), z.string().max(500)).default({}),
          })
          .strict(),
      )
      .min(1)
      .max(20),
  })
  .strict()
  .superRefine((s, ctx) => {
    const vars = new Set(s.inputs.map((i) => i.env));
    s.entries.forEach((e, i) => {
      for (const t of [e.domain ?? '', ...Object.values(e.values)])
        for (const v of templateVars(t))
          if (!vars.has(v))
            ctx.addIssue({ code: 'custom', path: ['entries', i], message: `unknown variable \${${v}}` });
    });
  });
export type StackManifest = z.output<typeof stackSchema>;
