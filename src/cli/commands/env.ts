import type { Command } from 'commander';
import { deleteEnv, getEnv, listEnv, setEnv } from '../../services/apps/env.js';
import { withCtx } from '../context.js';
import { c, printJson, printTable, success } from '../output.js';

export function registerEnvCommands(env: Command): void {
  env
    .command('set <app> <pairs...>')
    .description('set variables (KEY=VALUE ...), encrypted at rest; apply with app deploy or env push')
    .option('--server <server>', 'server of the app (when the name is used on several)')
    .option('--json', 'print the result as JSON')
    .action(async (app: string, pairs: string[], o) => {
      await withCtx(async (ctx) => {
        const keys = await setEnv(ctx, app, pairs, o.server);
        if (o.json) return printJson({ app, set: keys });
        success(`set ${keys.join(', ')} on ${c.bold(app)}`);
        process.stdout.write(`  apply with: infrakt env push ${app}  (or redeploy)\n`);
      });
    });

  env
    .command('get <app> <key>')
    .description('print the decrypted value of one variable')
    .option('--server <server>', 'server of the app')
    .option('--json', 'print as JSON')
    .action(async (app: string, key: string, o) => {
      await withCtx(async (ctx) => {
        const value = await getEnv(ctx, app, key, o.server);
        // Explicit request to reveal: the only place a value is printed.
        if (o.json) return printJson({ key, value: value.reveal() });
        process.stdout.write(`${value.reveal()}\n`);
      });
    });

  env
    .command('list <app>')
    .description('list variables (values masked unless --show-values)')
    .option('--show-values', 'decrypt and show the values')
    .option('--server <server>', 'server of the app')
    .option('--json', 'print as JSON')
    .action(async (app: string, o) => {
      await withCtx(async (ctx) => {
        const entries = await listEnv(ctx, app, { reveal: Boolean(o.showValues), server: o.server });
        if (o.json) return printJson(entries);
        printTable(
          ['KEY', 'VALUE', 'UPDATED'],
          entries.map((e) => [e.key, o.showValues ? e.value : c.dim(e.value), e.updatedAt]),
          `no variables set on ${app} — set some with: infrakt env set ${app} KEY=VALUE`,
        );
      });
    });

  env
    .command('delete <app> <key>')
    .description('delete a variable from local storage (apply with env push or redeploy)')
    .option('--server <server>', 'server of the app')
    .option('--json', 'print the result as JSON')
    .action(async (app: string, key: string, o) => {
      await withCtx(async (ctx) => {
        await deleteEnv(ctx, app, key, o.server);
        if (o.json) return printJson({ app, deleted: key });
        success(`deleted ${key} from ${c.bold(app)}`);
      });
    });
}
