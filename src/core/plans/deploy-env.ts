import type { ComposeFlavour } from '../commands/compose.js';
import { validation } from '../errors.js';
import { Secret } from '../secret.js';

/**
 * The app's `.env` for compose (`env_file` and `--env-file`). Every value is single-quoted: literal in both
 * compose flavours (no `$` interpolation, `#` kept). They differ on backslashes: v1 (python-dotenv) unescapes
 * `\\`, v2 keeps it, so the rendering depends on the flavour found on the server. A newline cannot be written
 * literally in either: such values are refused with a hint.
 */
export function renderEnvFile(vars: ReadonlyMap<string, Secret>, flavour: ComposeFlavour): Secret {
  const lines: string[] = [];
  for (const [key, value] of vars) {
    const v = value.reveal();
    if (/[\r\n]/.test(v)) {
      throw validation(
        `variable ${key} contains a line break, which compose env files cannot carry`,
        'store multi-line values base64-encoded, or mount them as a file',
      );
    }
    const escaped = (flavour === 'v1' ? v.replaceAll('\\', '\\\\') : v).replaceAll("'", "\\'");
    lines.push(`${key}='${escaped}'`);
  }
  return new Secret(lines.length ? `${lines.join('\n')}\n` : '');
}
