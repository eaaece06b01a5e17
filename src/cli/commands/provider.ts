import type { Command } from 'commander';
import { addProvider, listProviders, removeProvider } from '../../services/providers/providers.js';
import { prepareCreateCloudServer } from '../../services/providers/server-create.js';
import { prepareDestroyCloudServer } from '../../services/providers/server-destroy.js';
import { prepareProvision } from '../../services/servers/provision.js';
import { withCtx } from '../context.js';
import { c, printJson, printTable, success } from '../output.js';
import { runJob } from '../progress.js';
import { confirmByName } from '../prompt.js';
import { readSecretInput } from '../read-secret.js';

export function registerProviderCommands(provider: Command): void {
  provider
    .command('add <type>')
    .description('store a cloud provider API token (from stdin or a hidden prompt), encrypted; type: hetzner')
    .requiredOption('--name <name>', 'a name for this provider account, e.g. hcloud')
    .option('--endpoint <url>', 'API base URL (default https://api.hetzner.cloud/v1)')
    .option('--json', 'print the provider as JSON')
    .action(async (type: string, o) => {
      const token = await readSecretInput(`API token for ${o.name}`);
      await withCtx(async (ctx) => {
        const r = await addProvider(ctx, {
          type,
          name: o.name,
          token,
          ...(o.endpoint ? { endpoint: o.endpoint } : {}),
        });
        if (o.json) return printJson(r.provider);
        success(
          `${r.replaced ? 'replaced the token of' : 'added'} ${type} provider ${c.bold(r.provider.name)} (token checked, stored encrypted)`,
        );
      });
    });

  provider
    .command('list')
    .description('list providers (never tokens)')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rows = await listProviders(ctx);
        if (o.json) return printJson(rows);
        printTable(
          ['NAME', 'TYPE', 'SERVERS', 'ENDPOINT'],
          rows.map((p) => [p.name, p.type, String(p.servers), p.endpoint]),
          'no providers yet — add one with: infrakt provider add hetzner --name <name> (token on stdin)',
        );
      });
    });

  provider
    .command('remove <name>')
    .description('forget a provider and its token (only when none of its servers is left)')
    .action(async (name: string) => {
      await withCtx(async (ctx) => {
        await removeProvider(ctx, name);
        success(`removed provider ${c.bold(name)}`);
      });
    });
}

export function registerServerCloudCommands(server: Command): void {
  server
    .command('create')
    .description('create a server at a provider with a host key generated here and pinned before first contact')
    .requiredOption('--provider <name>', 'provider added with infrakt provider add')
    .requiredOption('--name <name>', 'server name (also its name at the provider)')
    .requiredOption('--type <type>', 'server type, e.g. cx22')
    .requiredOption('--location <location>', 'location, e.g. nbg1')
    .requiredOption('--image <image>', 'image, e.g. debian-12')
    .option(
      '--key <path>',
      'SSH private key to log in with; its .pub is uploaded or reused (default ~/.ssh/id_ed25519)',
    )
    .option('--root <dir>', 'remote state root on the server', '/opt/infrakt')
    .option('--provision', 'provision it right after (Docker, Caddy, UFW, fail2ban)')
    .option('--json', 'print the result as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareCreateCloudServer(ctx, {
          name: o.name,
          provider: o.provider,
          type: o.type,
          location: o.location,
          image: o.image,
          keyPath: o.key ?? null,
          root: o.root,
        });
        const r = (await runJob(ctx, plan.spec, plan.body, { json: o.json })).result;
        if (!o.json)
          process.stdout.write(
            `  ${c.bold(r.server.name)} at ${r.ip} (#${r.externalId}${r.resumed ? ', resumed' : ''}), host key ${r.hostKeyFingerprint} pinned before first contact\n`,
          );
        if (o.provision) {
          const pv = await prepareProvision(ctx, r.server.name);
          await runJob(ctx, pv.spec, pv.body, { json: o.json });
        }
      });
    });

  server
    .command('destroy <name>')
    .description('delete a server infrakt created at its provider, then forget it locally (asks you to type the name)')
    .option('--force', 'do not ask for the name to be typed')
    .option('-y, --yes', 'same as --force: answer yes to the confirmation')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareDestroyCloudServer(ctx, name);
        if (!o.force && !o.yes)
          await confirmByName(
            `This deletes server '${name}' at its provider with all its data`,
            name,
            `pass -y/--yes (or --force) to destroy '${name}' without confirmation`,
          );
        const r = (await runJob(ctx, plan.spec, plan.body, { json: o.json })).result;
        if (!o.json)
          success(`destroyed ${c.bold(name)}${r.deletedAtProvider ? '' : ' (it was already gone at the provider)'}`);
      });
    });
}
