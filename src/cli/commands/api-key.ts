import type { Command } from 'commander';
import { rotateApiKey, showApiKey } from '../../services/system/api-key.js';
import { localPaths } from '../context.js';
import { info, printJson } from '../output.js';

export function registerApiKeyCommands(cmd: Command): void {
  cmd
    .command('show')
    .description('print the API key (created on first use) and where it lives')
    .option('--json', 'print { key, file } as JSON')
    .action((o: { json?: boolean }) => {
      const { key, file, created } = showApiKey(localPaths());
      if (o.json) return printJson({ key, file, created });
      info(`${created ? 'generated a new API key in' : 'API key from'} ${file} (send it as the X-API-Key header)`);
      process.stdout.write(`${key}\n`);
    });

  cmd
    .command('rotate')
    .description('replace the API key; a running infrakt serve accepts only the new key from the next request')
    .option('--json', 'print { key, file } as JSON')
    .action((o: { json?: boolean }) => {
      const { key, file } = rotateApiKey(localPaths());
      if (o.json) return printJson({ key, file });
      info(`rotated the API key in ${file}; the old key no longer works (log in to the dashboard again)`);
      process.stdout.write(`${key}\n`);
    });
}
