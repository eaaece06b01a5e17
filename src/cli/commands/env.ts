import type { Command } from 'commander';
import { MAX_DOTENV_BYTES } from '../../core/schemas/dotenv.js';
import { deleteEnv, getEnv, listEnv, setEnv } from '../../services/apps/env.js';
import { exportEnv, importEnv } from '../../services/apps/env-file.js';
import { withCtx } from '../context.js';
import { readEnvFile } from '../options.js';
import { c, printJson, printTable, success } from '../output.js';
import { writePrivateFile } from '../private-file.js';
import { confirm } from '../prompt.js';

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

  env
    .command('import <app> <file>')
    .description('set variables from a dotenv file (- for stdin): every line checked first, written all at once')
    .option('--replace', 'also delete the variables the file does not list (the app gets exactly the file)')
    .option('--server <server>', 'server of the app')
    .option('--json', 'print the result as JSON')
    .action(async (app: string, file: string, o) => {
      const text = await readEnvFile(file, MAX_DOTENV_BYTES);
      await withCtx(async (ctx) => {
        const r = await importEnv(ctx, app, text, { replace: Boolean(o.replace), server: o.server });
        if (o.json) return printJson(r);
        success(`imported ${r.set.length} variable(s) into ${c.bold(app)}: ${r.set.join(', ') || '-'}`);
        if (r.removed.length) process.stdout.write(`  removed: ${r.removed.join(', ')}\n`);
        process.stdout.write(`  apply with: infrakt env push ${app}  (or redeploy)\n`);
      });
    });

  env
    .command('export <app>')
    .description('print the variables as a dotenv file, values decrypted (asks first; -y for scripts)')
    .option('-o, --output <file>', 'write to this file (created 0600) instead of stdout')
    .option('-y, --yes', 'reveal the values without asking')
    .option('--server <server>', 'server of the app')
    .option('--json', 'print {app, variables} as JSON instead of dotenv text')
    .action(async (app: string, o) => {
      if (!o.yes) {
        await confirm(
          `Reveal the decrypted values of ${app}${o.output ? ` into ${o.output}` : ''}?`,
          'pass -y/--yes to export without asking',
        );
      }
      await withCtx(async (ctx) => {
        const { text, keys, pairs } = await exportEnv(ctx, app, o.server);
        if (o.json) return printJson({ app, variables: Object.fromEntries(pairs.map((p) => [p.key, p.value])) });
        if (!o.output) return void process.stdout.write(text);
        writePrivateFile(o.output, text);
        success(`wrote ${keys.length} variable(s) of ${c.bold(app)} to ${o.output} (mode 0600)`);
      });
    });
}
