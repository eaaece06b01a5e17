import type { Command } from 'commander';
import { addServer } from '../../services/servers/server-remote.js';
import { countApps, getServer, getServerRow, listServers, removeServer } from '../../services/servers/servers.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { c, dash, info, printJson, printTable, status, success } from '../output.js';
import { reportProbe } from '../probe-report.js';
import { confirm } from '../prompt.js';

export function registerServerCommands(server: Command): void {
  server
    .command('add')
    .description('register a server, test the connection and pin its host key (trust on first use)')
    .requiredOption('--name <name>', 'unique name for the server')
    .requiredOption('--host <host>', 'IP address or host name (`local` for this machine)')
    .option('--user <user>', 'SSH user', 'root')
    .option('--port <port>', 'SSH port', intOption, 22)
    .option('--key <path>', 'SSH private key file (default: ssh-agent)')
    .option('--provider <label>', 'provider label, e.g. hetzner')
    .option('--root <dir>', 'remote state root on the server', '/opt/infrakt')
    .option('--fingerprint <SHA256:...>', 'expected host key fingerprint (refuse anything else)')
    .option('--json', 'print the server as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        // Registered either way; the probe result (and its status) is reported after.
        const { server: view, probe } = await addServer(ctx, {
          name: o.name,
          host: o.host,
          user: o.user,
          port: o.port,
          keyPath: o.key,
          provider: o.provider,
          root: o.root,
          fingerprint: o.fingerprint,
        });
        if (o.json) printJson({ ...view, probe });
        else success(`registered server ${c.bold(view.name)} (${view.user}@${view.host}:${view.port})`);
        if (probe.status !== 'ok' && !o.json) {
          info(
            `server ${view.name} is registered with status ${view.status}; re-check with: infrakt server test ${view.name}`,
          );
        }
        reportProbe(probe, o.json ? 'quiet' : 'human');
      });
    });

  server
    .command('list')
    .description('list registered servers with status, host and app count')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const servers = await listServers(ctx);
        if (o.json) return printJson(servers);
        printTable(
          ['NAME', 'HOST', 'USER', 'PORT', 'STATUS', 'APPS', 'PROVIDER'],
          servers.map((s) => [
            s.name,
            s.host,
            s.user,
            String(s.port),
            status(s.status),
            String(s.appCount),
            dash(s.provider),
          ]),
          'no servers yet — add one with: infrakt server add --name <name> --host <host>',
        );
      });
    });

  server
    .command('show <name>')
    .description('show one server')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const s = await getServer(ctx, name);
        if (o.json) return printJson(s);
        const rows: [string, string][] = [
          ['name', s.name],
          ['host', `${s.user}@${s.host}:${s.port}`],
          ['status', status(s.status)],
          ['root', s.root],
          ['host key', dash(s.hostKeyFingerprint)],
          ['key', dash(s.keyPath)],
          ['provider', dash(s.provider)],
          ['apps', String(s.appCount)],
          ['last check', dash(s.lastCheckedAt)],
          ['last error', dash(s.lastError)],
        ];
        for (const [k, v] of rows) process.stdout.write(`${c.dim(k.padEnd(11))}${v}\n`);
      });
    });

  server
    .command('remove <name>')
    .description('forget a server locally (asks when it has apps; nothing on the server changes)')
    .option('--force', 'skip the confirmation and forget its apps too')
    .option('-y, --yes', 'same as --force: answer yes to the confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const row = await getServerRow(ctx, name);
        const apps = await countApps(ctx, row.id);
        let force = Boolean(o.force || o.yes);
        if (apps > 0 && !force) {
          await confirm(
            `Server '${name}' has ${apps} app(s). Remove it and forget them?`,
            `pass -y/--yes (or --force) to remove '${name}' and forget its ${apps} app(s)`,
          );
          force = true;
        }
        const res = await removeServer(ctx, name, { force });
        if (o.json) return printJson({ removed: name, apps: res.apps });
        success(`removed server ${c.bold(name)}${res.apps ? ` and forgot ${res.apps} app(s)` : ''}`);
      });
    });
}
