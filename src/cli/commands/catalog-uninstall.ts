import type { Command } from 'commander';
import { InfraktError } from '../../core/errors.js';
import { prepareCatalogUninstall } from '../../services/catalog/uninstall.js';
import { catalogDirOption } from '../catalog-options.js';
import { withCtx } from '../context.js';
import { c, success } from '../output.js';
import { runPlanCli } from '../progress.js';
import { confirmByName } from '../prompt.js';

/** `catalog uninstall NAME`: a host entry's uninstall.sh, or an installed app destroyed (services/catalog/uninstall). */
export function registerCatalogUninstallCommands(catalog: Command): void {
  catalogDirOption(
    catalog
      .command('uninstall <name>')
      .description(
        'remove what `catalog installed` lists: a host entry runs its uninstall.sh (the record goes when it exits 0); an app is destroyed like `app destroy` (named volumes kept unless --volumes)',
      )
      .option('--server <server>', 'the server (when the name is installed on several)')
      .option('--kind <kind>', 'host or compose (when an app and a host entry share the name on one server)')
      .option('--volumes', 'apps: also remove the named volumes and bind-mount data')
      .option('-y, --yes', 'do not ask for the name to be typed')
      .option('--json', 'print the job result as JSON'),
  ).action(async (name: string, o) => {
    if (o.kind !== undefined && o.kind !== 'host' && o.kind !== 'compose')
      throw new InfraktError('VALIDATION', `--kind must be host or compose, not '${o.kind}'`);
    await withCtx(async (ctx) => {
      const { target, plan } = await prepareCatalogUninstall(ctx, name, {
        server: o.server,
        kind: o.kind,
        volumes: Boolean(o.volumes),
        catalogDirs: o.catalogDir,
      });
      if (!o.yes) {
        const what =
          target.kind === 'host'
            ? `This runs the uninstall script of host entry '${name}' on ${target.server}`
            : `This destroys app '${name}' (${target.entry}) on ${target.server} with its containers${o.volumes ? ', volumes and data' : ''}`;
        await confirmByName(what, name, `pass -y/--yes to uninstall '${name}' without confirmation`);
      }
      await runPlanCli(ctx, plan, Boolean(o.json));
      if (o.json) return;
      success(
        target.kind === 'host'
          ? `uninstalled host entry ${c.bold(name)} from ${target.server}`
          : `uninstalled app ${c.bold(name)} (${target.entry}) from ${target.server}${o.volumes ? '' : '; named volumes kept (--volumes removes them)'}`,
      );
    });
  });
}
