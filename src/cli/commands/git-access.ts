import type { Command } from 'commander';
import { deployKey } from '../../services/apps/git-access.js';
import { withCtx } from '../context.js';
import { c, info, printJson } from '../output.js';

/** `app deploy-key`: the public half of an app's SSH deploy key (services/apps/git-access). */
export function registerGitAccessCommands(app: Command): void {
  app
    .command('deploy-key <name>')
    .description('show the SSH deploy key of a git app (created on first use) to add to the repository, read-only')
    .option('--rotate', 'replace it with a new key (add the new one to the git host before the next deploy)')
    .option('--server <server>', 'server of the app')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const k = await deployKey(ctx, name, { server: o.server, rotate: Boolean(o.rotate) });
        if (o.json) return printJson(k);
        // The key alone on stdout (pipe-friendly: `infrakt app deploy-key web | gh repo deploy-key add -`).
        process.stdout.write(`${k.publicKey}\n`);
        info(`${c.dim(k.fingerprint)}${k.created ? ` (${o.rotate ? 'new key' : 'created'})` : ''}`);
        info('add it to the repository as a read-only deploy key (GitHub: Settings → Deploy keys)');
      });
    });
}
