import { randomFillSync } from 'node:crypto';
import { type ResolvedInputs, resolveInputs } from '../../core/catalog/inputs.js';
import type { CatalogManifest } from '../../core/catalog/manifest-schema.js';
import { InfraktError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';

/** Secure random bytes for generated secrets. */
export const fill = (b: Uint8Array): Uint8Array => randomFillSync(b);

/**
 * Resolves the values of an install (generating secrets, applying defaults, dropping hidden inputs) or throws
 * one VALIDATION error naming every bad input. Values are never part of a message.
 */
export function resolveOrThrow(
  m: CatalogManifest,
  given: Readonly<Record<string, string>>,
  previous?: Readonly<Record<string, string>>,
): ResolvedInputs {
  const r = resolveInputs(m.inputs, given, { fill, ...(previous ? { previous } : {}) });
  if (r.issues.length > 0) {
    const first = r.issues[0]!;
    throw new InfraktError('VALIDATION', `invalid input ${first.input}: ${first.message}`, {
      details: { issues: r.issues.map((i) => ({ field: `inputs.${i.input}`, message: i.message })) },
      hint:
        r.issues.length > 1
          ? `${r.issues.length} inputs need fixing; see them with: infrakt catalog show ${m.id}`
          : `see the inputs with: infrakt catalog show ${m.id}`,
    });
  }
  return r;
}

/** The values of secret inputs, as Secrets (for job scrubbing). */
export function secretValues(m: CatalogManifest, values: Readonly<Record<string, string>>): Secret[] {
  return m.inputs.filter((i) => i.secret && values[i.name]).map((i) => new Secret(values[i.name]!));
}

/** Non-secret values only: what may be kept in records and job params. */
export function publicValues(m: CatalogManifest, values: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of m.inputs) if (!i.secret && values[i.name] !== undefined) out[i.name] = values[i.name]!;
  return out;
}
