import { InfraktError } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import { parseAuthSpec, prepareAppAuth } from '../services/apps/app-auth.js';
import { askHidden } from './catalog-prompt.js';
import type { CliCtx } from './context.js';
import { c, printJson, success } from './output.js';
import { runJob } from './progress.js';

/**
 * The password of `--auth basic:USER`: typed twice on a TTY (no echo), or read from stdin when piped
 * (`printf %s "$PW" | infrakt app update web --auth basic:admin`), never from argv.
 */
async function readPassword(): Promise<Secret> {
  if (process.stdin.isTTY) {
    const a = await askHidden('password: ');
    const b = await askHidden('again: ');
    if (a !== b) throw new InfraktError('VALIDATION', 'the passwords differ, nothing changed');
    return new Secret(a);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!text)
    throw new InfraktError('VALIDATION', 'basic auth needs a password: type it on a terminal or pipe it on stdin');
  return new Secret(text);
}

export async function updateAuthCli(ctx: CliCtx, name: string, o: { auth: string; server?: string; json?: boolean }) {
  const req = parseAuthSpec(o.auth);
  const password = req.type === 'basic' ? await readPassword() : undefined;
  const { plan, store } = await prepareAppAuth(ctx, name, req, { server: o.server, password });
  const result = plan ? (await runJob(ctx, plan.spec, plan.body, { json: Boolean(o.json) })).result : await store();
  if (o.json) return plan ? undefined : printJson(result);
  const what =
    req.type === 'none' ? 'no auth' : req.type === 'basic' ? `basic auth (${req.user})` : `forward_auth → ${req.url}`;
  success(`${c.bold(result.app)}: ${what}${result.applied ? ' (proxy reloaded)' : '; applied by the next deploy'}`);
}
