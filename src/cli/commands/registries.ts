import type { Command } from 'commander';
import { listRegistries, prepareRegistryAdd, prepareRegistryRemove } from '../../services/registries/registries.js';
import { withCtx } from '../context.js';
import { c, dash, printJson, printTable, success } from '../output.js';
import { runPlanCli } from '../progress.js';
import { readSecret } from '../read-secret.js';

/** `registry add|list|remove`: private registries a server pulls from (services/registries). */
export function registerRegistryCommands(registry: Command): void {
  registry
    .command('add <host>')
    .description('log a server in to a private registry (password or token prompted, or piped on stdin)')
    .requiredOption('--server <server>', 'server that pulls from the registry')
    .requiredOption('--username <user>', 'registry user name')
    .option('--json', 'print the job record as JSON')
    .action(async (host: string, o) => {
      await withCtx(async (ctx) => {
        const password = await readSecret('password or token');
        const plan = await prepareRegistryAdd(ctx, { server: o.server, host, username: o.username, password });
        const r = await runPlanCli(ctx, plan, o.json);
        if (!o.json) success(`${c.bold(r.server)} is logged in to ${r.host} as ${r.username}`);
      });
    });

  registry
    .command('list')
    .description('registries each server is logged in to (passwords are never shown)')
    .option('--server <server>', 'only this server')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rows = await listRegistries(ctx, o.server);
        if (o.json) return printJson(rows);
        printTable(
          ['SERVER', 'HOST', 'USER', 'LOGGED IN'],
          rows.map((r) => [r.server, r.host, r.username, dash(r.loggedInAt)]),
          'no registries — add one with: infrakt registry add --server <server> <host> --username <user>',
        );
      });
    });

  registry
    .command('remove <host>')
    .description('log a server out of a registry and forget the credentials')
    .requiredOption('--server <server>', 'server name')
    .option('--json', 'print the job record as JSON')
    .action(async (host: string, o) => {
      await withCtx(async (ctx) => {
        const r = await runPlanCli(ctx, await prepareRegistryRemove(ctx, { server: o.server, host }), o.json);
        if (!o.json) success(`${c.bold(r.server)} is logged out of ${r.host}`);
      });
    });
}
