import type { Command } from 'commander';
import {
  listProxyRoutes,
  prepareProxyAdd,
  prepareProxyReload,
  prepareProxyRemove,
  prepareProxySetup,
  proxyStatus,
} from '../../services/proxy/proxy.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { c, dash, printJson, printTable, status } from '../output.js';
import { runPlanCli } from '../progress.js';

export function registerProxyCommands(proxy: Command): void {
  proxy
    .command('setup <server>')
    .description("make Caddy run with infrakt's config on the server (start it, or reload it)")
    .option('--json', 'print the job record as JSON')
    .action(async (server: string, o) => {
      await withCtx(async (ctx) => {
        await runPlanCli(ctx, await prepareProxySetup(ctx, server), o.json);
      });
    });

  proxy
    .command('add <domain>')
    .description('route a domain to a port on the server loopback')
    .requiredOption('--server <server>', 'server name')
    .requiredOption('--port <port>', 'upstream port on 127.0.0.1', intOption)
    .option('--json', 'print the job record as JSON')
    .action(async (domain: string, o) => {
      await withCtx(async (ctx) => {
        await runPlanCli(ctx, await prepareProxyAdd(ctx, { domain, server: o.server, port: o.port }), o.json);
      });
    });

  proxy
    .command('remove <domain>')
    .description('remove a route and reload Caddy')
    .requiredOption('--server <server>', 'server name')
    .option('--json', 'print the job record as JSON')
    .action(async (domain: string, o) => {
      await withCtx(async (ctx) => {
        await runPlanCli(ctx, await prepareProxyRemove(ctx, { domain, server: o.server }), o.json);
      });
    });

  proxy
    .command('domains <server>')
    .description('list the routes of a server')
    .option('--json', 'print as JSON')
    .action(async (server: string, o) => {
      await withCtx(async (ctx) => {
        const routes = await listProxyRoutes(ctx, server);
        if (o.json) return printJson(routes);
        printTable(
          ['DOMAIN', 'UPSTREAM', 'APP'],
          routes.map((r) => [r.domain, `127.0.0.1:${r.upstreamPort}`, dash(r.app)]),
          `no routes on ${server}`,
        );
      });
    });

  proxy
    .command('status <server>')
    .description('is Caddy answering, and is its config the one rendered from infrakt state?')
    .option('--json', 'print as JSON')
    .action(async (server: string, o) => {
      await withCtx(async (ctx) => {
        const s = await proxyStatus(ctx, server);
        if (o.json) return printJson(s);
        process.stdout.write(
          `${c.dim('caddy    ')}${status(s.running ? 'running' : 'stopped')} (admin ${s.adminAddress})\n`,
        );
        process.stdout.write(
          `${c.dim('config   ')}${s.configPath} ${s.inSync ? c.green('in sync') : c.yellow('out of date: run infrakt proxy reload')}\n`,
        );
        process.stdout.write(`${c.dim('routes   ')}${s.routes.length}\n`);
        if (s.certificates.length) {
          printTable(
            ['DOMAIN', 'ISSUER', 'EXPIRES', 'DAYS LEFT'],
            s.certificates.map((x) => [
              x.domain,
              x.issuer ?? c.yellow(x.error ?? 'none'),
              dash(x.notAfter),
              x.daysLeft === null ? '-' : x.daysLeft < 14 ? c.yellow(String(x.daysLeft)) : String(x.daysLeft),
            ]),
            '',
          );
        }
      });
    });

  proxy
    .command('reload <server>')
    .description('render the config from state, validate, and reload Caddy gracefully')
    .option('--json', 'print the job record as JSON')
    .action(async (server: string, o) => {
      await withCtx(async (ctx) => {
        await runPlanCli(ctx, await prepareProxyReload(ctx, server), o.json);
      });
    });
}
