/**
 * What the audit log keeps of a request's parameters: secrets redacted, long texts (a compose file) summarised.
 * Keys that name a secret lose their value; maps of variables (`vars`, `values`) keep their keys only.
 */
const SECRET_KEY = /pass(word|phrase)?|secret|token|credential|private|cookie|authorization|api.?key|^value$/i;
const VALUE_MAPS = /^(vars|values|env|environment|secrets)$/i;
const MAX_TEXT = 500;
const MAX_DEPTH = 6;

export const REDACTED = '[redacted]';

export function redactParams(input: unknown, depth = 0): unknown {
  if (input === null || input === undefined) return input ?? null;
  if (typeof input === 'string') return input.length > MAX_TEXT ? `[${input.length} characters]` : input;
  if (typeof input !== 'object') return input;
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(input)) return input.slice(0, 50).map((v) => redactArg(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    if (SECRET_KEY.test(k)) out[k] = v === undefined || v === null || v === '' ? v : REDACTED;
    else if (VALUE_MAPS.test(k) && v && typeof v === 'object' && !Array.isArray(v))
      out[k] = Object.fromEntries(Object.keys(v).map((name) => [name, REDACTED]));
    else out[k] = redactParams(v, depth + 1);
  }
  return out;
}

/** Command-line style `KEY=value` arguments keep their key only (env set, --set k=v). */
function redactArg(v: unknown, depth: number): unknown {
  if (typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_.-]*=/.test(v)) return `${v.slice(0, v.indexOf('='))}=${REDACTED}`;
  return redactParams(v, depth);
}
