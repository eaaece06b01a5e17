import type { Command } from 'commander';
import { configurePreviews, listPreviews, showPreviewSettings } from '../../services/previews/settings.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { c, dash, printJson, printTable, status, success } from '../output.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `app previews APP`: pull request previews of a git app (services/previews). */
export function registerPreviewCommands(app: Command): void {
  app
    .command('previews <app>')
    .description('list the pull request previews of a git app, or configure them (--enable, --domain, --max, --env)')
    .option('--enable', 'deploy pull requests (opened, new commits, reopened) as <app>-pr-<n>; needs the webhook')
    .option('--disable', 'stop making previews (refused while some exist)')
    .option('--domain <domain>', "previews are served at pr-<n>.<domain> (default: the app's domain)")
    .option('--max <n>', 'most previews at once (default 3)', intOption)
    .option('--env <KEY=VALUE>', "override one of the app's variables in previews (repeatable)", collect)
    .option('--unset-env <KEY>', 'drop a preview override (repeatable)', collect)
    .option('--server <server>', 'server of the app')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const configuring =
          o.enable || o.disable || o.domain !== undefined || o.max !== undefined || o.env?.length || o.unsetEnv?.length;
        if (configuring) {
          const s = await configurePreviews(ctx, name, {
            server: o.server,
            enable: o.enable,
            disable: o.disable,
            domain: o.domain,
            max: o.max,
            env: o.env,
            unsetEnv: o.unsetEnv,
          });
          if (o.json) return printJson(s);
          if (!s.enabled) return success(`previews of ${c.bold(s.app)} are off`);
          success(`previews of ${c.bold(s.app)}: pr-<n>.${s.domain}, at most ${s.max}`);
          if (s.envKeys.length) process.stdout.write(`  overrides: ${s.envKeys.join(', ')}\n`);
          process.stdout.write(
            `  pull request events reach infrakt through the webhook: infrakt app webhook show ${s.app}\n`,
          );
          return;
        }
        const [settings, rows] = await Promise.all([
          showPreviewSettings(ctx, name, { server: o.server }),
          listPreviews(ctx, name, { server: o.server }),
        ]);
        if (o.json) return printJson(rows);
        if (!settings.enabled && rows.length === 0) {
          process.stdout.write(
            `previews are off for ${name} — enable them with: infrakt app previews ${name} --enable\n`,
          );
          return;
        }
        printTable(
          ['PR', 'APP', 'URL', 'COMMIT', 'BRANCH', 'STATUS', 'UPDATED', 'ERROR'],
          rows.map((r) => [
            `#${r.pr}`,
            dash(r.app),
            r.domain,
            r.commit.slice(0, 12),
            dash(r.ref),
            status(r.status),
            r.updatedAt.replace('T', ' ').slice(0, 19),
            dash(r.error),
          ]),
          `no previews of ${name} right now (pr-<n>.${settings.domain}, at most ${settings.max})`,
        );
      });
    });
}
