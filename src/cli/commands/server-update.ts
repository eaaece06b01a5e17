import type { Command } from 'commander';
import { updateServerSettings } from '../../services/servers/server-update.js';
import { withCtx } from '../context.js';
import { intOption, noneToNull } from '../options.js';
import { c, printJson, success } from '../output.js';

/** `server update`: connection settings, saved only once a connection with them worked (services/servers). */
export function registerServerUpdate(server: Command): void {
  server
    .command('update <name>')
    .description('change host, port, user, key or root: verified by connecting (pinned host key) before saving')
    .option('--host <host>', 'new IP address or host name')
    .option('--port <port>', 'new SSH port', intOption)
    .option('--user <user>', 'new SSH user')
    .option('--key <path>', 'new SSH private key file (none: use the ssh-agent)')
    .option('--root <dir>', 'new remote state root (only for a server without apps)')
    .option('--fingerprint <SHA256:...>', 'the host key expected at the new address (another or reinstalled machine)')
    .option('--json', 'print the server as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const r = await updateServerSettings(ctx, name, {
          host: o.host,
          port: o.port,
          user: o.user,
          keyPath: noneToNull(o.key),
          root: o.root,
          fingerprint: o.fingerprint,
        });
        if (o.json) return printJson(r);
        success(
          `updated server ${c.bold(name)}: ${r.changed.join(', ')} (connection verified, ${r.fingerprint ?? 'local'})`,
        );
      });
    });
}
