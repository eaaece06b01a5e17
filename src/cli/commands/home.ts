import type { Command } from 'commander';
import { initHome } from '../../services/system/home.js';
import { localPaths } from '../context.js';
import { c, printJson, success } from '../output.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create the local state directory, database and master key (safe to re-run)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const r = await initHome(localPaths());
      if (opts.json) {
        printJson({ home: r.home, changed: r.changed, created: r.created, migrations: r.migrations });
        return;
      }
      if (!r.changed) {
        process.stdout.write(`infrakt is already initialised at ${r.home}; nothing changed\n`);
        return;
      }
      success(`initialised infrakt at ${r.home}`);
      for (const f of r.created) process.stdout.write(`  created ${c.dim(f)}\n`);
      if (r.dbExisted && r.migrations.length) process.stdout.write(`  migrated database: ${r.migrations.join(', ')}\n`);
      process.stdout.write(`  back up ${r.masterKey}: without it stored env values cannot be decrypted\n`);
    });
}
