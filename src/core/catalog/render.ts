// Rendering an entry is data, not text: the resolved input values become environment variables (compose
// interpolation reads them from the app's encrypted env; host scripts get them in their environment), and the
// outputs are display text filled from the same variables.
import type { CatalogInput } from './input-types.js';
import { type CatalogManifest, fillTemplate } from './manifest-schema.js';

export interface RenderTarget {
  /** App name (compose) or install name (host). */
  readonly app: string;
  readonly server: string;
  readonly domain?: string | null | undefined;
}

export interface RenderedOutput {
  readonly label: string;
  readonly value: string;
  readonly secret: boolean;
}

export interface RenderedEntry {
  /** Environment variables, by name: the visible inputs' values plus the INFRAKT_* built-ins. */
  readonly env: Record<string, string>;
  /** Names in `env` whose values are secret (never logged, shown once). */
  readonly secretEnv: readonly string[];
  readonly outputs: readonly RenderedOutput[];
}

export function builtinVars(t: RenderTarget): Record<string, string> {
  return {
    INFRAKT_APP: t.app,
    INFRAKT_SERVER: t.server,
    INFRAKT_DOMAIN: t.domain ?? '',
    INFRAKT_URL: t.domain ? `https://${t.domain}` : '',
  };
}

/** The env names of an entry's inputs, by input name. */
export const envNames = (inputs: readonly CatalogInput[]): Map<string, string> =>
  new Map(inputs.map((i) => [i.name, i.env]));

function formatBoolean(v: string, format: CatalogInput['boolean_format']): string {
  if (format === '1/0') return v === 'true' ? '1' : '0';
  if (format === 'yes/no') return v === 'true' ? 'yes' : 'no';
  return v;
}

/** Values (by input name) → environment (by env name), built-ins included. */
export function renderEntry(
  m: CatalogManifest,
  values: Readonly<Record<string, string>>,
  t: RenderTarget,
): RenderedEntry {
  const env: Record<string, string> = {};
  const secretEnv: string[] = [];
  for (const input of m.inputs) {
    const v = values[input.name];
    if (v === undefined) continue;
    env[input.env] = input.type === 'boolean' ? formatBoolean(v, input.boolean_format) : v;
    if (input.secret) secretEnv.push(input.env);
  }
  Object.assign(env, builtinVars(t));
  const outputs = m.outputs.map((o) => {
    const refsSecret = secretEnv.some((s) => o.value.includes(`\${${s}}`));
    return { label: o.label, value: fillTemplate(o.value, env), secret: o.secret || refsSecret };
  });
  return { env, secretEnv, outputs };
}

/** Input values back from an app's stored environment (upgrade re-renders with what the install used). */
export function valuesFromEnv(m: CatalogManifest, env: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const input of m.inputs) {
    const v = env[input.env];
    if (v === undefined) continue;
    // Booleans were written in their env format: back to true/false (checkInputValue reads 1/0 and yes/no).
    out[input.name] = v;
  }
  return out;
}

/**
 * An installed app's outputs, filled again from its stored environment (what the install wrote) and the built-ins
 * of where it runs now. An output whose variables are all empty (a URL of an app without a domain) is left out.
 */
export function outputsFromEnv(
  m: CatalogManifest,
  stored: Readonly<Record<string, string>>,
  t: RenderTarget,
): RenderedOutput[] {
  const env = { ...stored, ...builtinVars(t) };
  const secretEnv = new Set(m.inputs.filter((i) => i.secret).map((i) => i.env));
  const out: RenderedOutput[] = [];
  for (const o of m.outputs) {
    const refs = [...o.value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((r) => r[1]!);
    if (refs.length > 0 && refs.every((r) => !env[r])) continue;
    out.push({
      label: o.label,
      value: fillTemplate(o.value, env),
      secret: o.secret || refs.some((r) => secretEnv.has(r)),
    });
  }
  return out;
}
