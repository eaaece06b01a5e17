import type { Command } from 'commander';
import { parseInput } from '../../core/schemas/parse.js';
import { secretNameSchema } from '../../core/schemas/secret.js';
import { deleteSecret, getSecret, listSecrets, setSecret } from '../../services/secrets/secrets.js';
import { withCtx } from '../context.js';
import { c, printJson, printTable, success } from '../output.js';
import { readSecretInput } from '../read-secret.js';

export function registerSecretCommands(secret: Command): void {
  secret
    .command('set <name>')
    .description('store a named secret (value from stdin or a hidden prompt), encrypted like env values')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      // The name first: nobody should type a secret to learn then that its name was refused.
      parseInput(secretNameSchema, name, 'secret name');
      const value = await readSecretInput(`value of secret ${name}`);
      await withCtx(async (ctx) => {
        const r = await setSecret(ctx, name, value);
        if (o.json) return printJson(r);
        success(`${r.created ? 'stored' : 'replaced'} secret ${c.bold(r.name)}; reference it as secret:${r.name}`);
      });
    });

  secret
    .command('list')
    .description('list secret names (never values)')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rows = await listSecrets(ctx);
        if (o.json) return printJson(rows);
        printTable(
          ['NAME', 'SOURCE', 'UPDATED'],
          rows.map((r) => [r.name, r.source, r.updatedAt]),
          'no secrets yet — store one with: infrakt secret set <name>',
        );
      });
    });

  secret
    .command('get <name>')
    .description('print the decrypted value of a secret (reveals it)')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const value = await getSecret(ctx, name);
        // Explicit request to reveal: the only place a secret's value is printed.
        if (o.json) return printJson({ name, value: value.reveal() });
        process.stdout.write(`${value.reveal()}\n`);
      });
    });

  secret
    .command('delete <name>')
    .description('delete a secret (env values and infrakt.yaml entries referring to it then fail to deploy)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        await deleteSecret(ctx, name);
        if (o.json) return printJson({ deleted: name });
        success(`deleted secret ${c.bold(name)}`);
      });
    });
}
