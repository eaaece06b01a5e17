import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ensureHome, resolvePaths } from '../../adapters/local/home.js';
import { ensureMasterKey } from '../../adapters/secrets/master-key.js';
import { openStore } from '../../adapters/store/open.js';
import { InfraktError } from '../../core/errors.js';
import { c, printJson, success } from '../output.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create the local state directory, database and master key (safe to re-run)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const paths = resolvePaths();
      const dbExisted = existsSync(paths.db);
      const created = [...ensureHome(paths).created];
      const store = openStore(paths.db);
      const migrated = store.migration.applied;
      try {
        if (!existsSync(paths.masterKey)) {
          // Lost key: replace it only when nothing was encrypted under it.
          const stored = Number(store.raw.prepare('SELECT count(*) FROM env_vars').pluck().get());
          if (stored > 0) {
            throw new InfraktError('SECRET', `the master key ${paths.masterKey} is missing`, {
              hint: `${stored} stored env value(s) need it: restore master.key from your backup`,
            });
          }
          if (ensureMasterKey(paths.masterKey)) created.push(paths.masterKey);
        }
      } finally {
        await store.close();
      }
      if (!dbExisted) created.splice(1, 0, paths.db);
      const changed = created.length > 0 || migrated.length > 0;
      if (opts.json) {
        printJson({ home: paths.home, changed, created, migrations: migrated });
        return;
      }
      if (!changed) {
        process.stdout.write(`infrakt is already initialised at ${paths.home}; nothing changed\n`);
        return;
      }
      success(`initialised infrakt at ${paths.home}`);
      for (const f of created) process.stdout.write(`  created ${c.dim(f)}\n`);
      if (dbExisted && migrated.length) process.stdout.write(`  migrated database: ${migrated.join(', ')}\n`);
      process.stdout.write(`  back up ${paths.masterKey}: without it stored env values cannot be decrypted\n`);
    });
}
