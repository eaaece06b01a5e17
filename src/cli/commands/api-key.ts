import type { Command } from 'commander';
import { ensureHome, resolvePaths } from '../../adapters/local/home.js';
import { ensureApiKey, rotateApiKey } from '../../adapters/secrets/api-key.js';
import { info, printJson } from '../output.js';

export function registerApiKeyCommands(cmd: Command): void {
  cmd
    .command('show')
    .description('print the API key (created on first use) and where it lives')
    .option('--json', 'print { key, file } as JSON')
    .action((o: { json?: boolean }) => {
      const paths = resolvePaths();
      ensureHome(paths);
      const { key, created } = ensureApiKey(paths.apiKey);
      if (o.json) return printJson({ key, file: paths.apiKey, created });
      info(
        `${created ? 'generated a new API key in' : 'API key from'} ${paths.apiKey} (send it as the X-API-Key header)`,
      );
      process.stdout.write(`${key}\n`);
    });

  cmd
    .command('rotate')
    .description('replace the API key; a running infrakt serve accepts only the new key from the next request')
    .option('--json', 'print { key, file } as JSON')
    .action((o: { json?: boolean }) => {
      const paths = resolvePaths();
      ensureHome(paths);
      const key = rotateApiKey(paths.apiKey);
      if (o.json) return printJson({ key, file: paths.apiKey });
      info(`rotated the API key in ${paths.apiKey}; the old key no longer works (log in to the dashboard again)`);
      process.stdout.write(`${key}\n`);
    });
}
