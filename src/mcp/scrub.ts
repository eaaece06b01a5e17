import { REDACTED, type Secret } from '../core/secret.js';

/**
 * Removes every known secret value from a tool result. Values shorter than 6 characters are left alone: they
 * would blank out ordinary words ("true", "8080") and are not worth much as secrets anyway; everything infrakt
 * generates is far longer.
 */
export function scrubText(text: string, secrets: readonly Secret[]): string {
  const values = secrets
    .map((s) => s.reveal())
    .filter((v) => v.length >= 6)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of values) out = out.split(v).join(REDACTED);
  // JSON.stringify escapes some characters: scrub the escaped form of each value too.
  for (const v of values) {
    const escaped = JSON.stringify(v).slice(1, -1);
    if (escaped !== v) out = out.split(escaped).join(REDACTED);
  }
  return out;
}
