import { InfraktError, validation } from '../../core/errors.js';
import { parseInput } from '../../core/schemas/parse.js';
import { secretNameSchema } from '../../core/schemas/secret.js';
import { Secret } from '../../core/secret.js';
import { fleetExec } from '../servers/server-remote.js';
import type { Ctx } from '../shared/context.js';
import { secretExists, setSecret } from './secrets.js';

export interface ExecToSecretInput {
  servers: readonly string[];
  all?: boolean;
  command: string;
  name: string;
  timeoutMs?: number;
}

export interface ExecToSecretResult {
  server: string;
  secret: string;
  bytes: number;
}

/**
 * `server exec --server S --store-as-secret NAME -- CMD`: runs a command that prints a credential (creating a
 * database user, an API token…) on one server and stores its stdout as a named secret. The output is never
 * printed or logged; a failing command stores nothing and its stderr tail is scrubbed of the output.
 */
export async function execToSecret(ctx: Ctx, input: ExecToSecretInput): Promise<ExecToSecretResult> {
  const name = parseInput(secretNameSchema, input.name, 'secret name');
  if (input.all || input.servers.length !== 1) {
    throw validation('--store-as-secret takes the output of exactly one server', 'pass --server <name> (one name)');
  }
  if (await secretExists(ctx, name)) {
    throw new InfraktError('CONFLICT', `a secret named '${name}' already exists`, {
      hint: `choose another name, or delete it first with: infrakt secret delete ${name}`,
    });
  }
  const [r] = await fleetExec(ctx, {
    servers: input.servers,
    command: input.command,
    concurrency: 1,
    ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
  });
  if (!r) throw new InfraktError('INTERNAL', 'no result from the server');
  const value = r.stdout.replace(/\r?\n$/, '');
  const scrubbed = (text: string) => (value.length >= 4 ? text.split(value).join('[redacted]') : text);
  if (r.error)
    throw new InfraktError(r.error.code as InfraktError['code'], `${r.server}: ${r.error.message}`, {
      hint: r.error.hint,
    });
  if (r.exitCode !== 0) {
    throw new InfraktError('COMMAND_FAILED', `the command failed on ${r.server} (exit ${r.exitCode}); nothing stored`, {
      details: { stderrTail: scrubbed(r.stderr.trim().split('\n').slice(-5).join('\n')) },
    });
  }
  if (!value) throw new InfraktError('COMMAND_FAILED', `the command printed nothing on ${r.server}; nothing stored`);
  await setSecret(ctx, name, new Secret(value), { source: `server exec ${r.server}` });
  return { server: r.server, secret: name, bytes: Buffer.byteLength(value) };
}
