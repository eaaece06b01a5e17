import type { Command } from 'commander';
import { validation } from '../../core/errors.js';
import { createApp, listApps, resolveApp, toAppView, updateAppSource } from '../../services/apps/apps.js';
import { lastRuns } from '../../services/backup-targets/runs.js';
import { setAutoDeploy } from '../../services/polling/auto-deploy.js';
import { updateAuthCli } from '../app-auth.js';
import { withCtx } from '../context.js';
import { intOption, readComposeFile } from '../options.js';
import { c, dash, printJson, printTable, status, success } from '../output.js';

export function registerAppCommands(app: Command): void {
  app
    .command('create')
    .description('register an app on a server (does not deploy; type: image if --image, git if --git, else compose)')
    .requiredOption('--server <server>', 'target server name')
    .requiredOption('--name <name>', 'app name (unique per server)')
    .option('--domain <domain>', 'domain routed to the app by Caddy')
    .option('--port <port>', 'port the app listens on inside its container', intOption, 3000)
    .option('--git <url>', 'git repository (https URL)')
    .option('--branch <branch>', 'git branch to deploy', 'main')
    .option('--image <image>', 'Docker image, e.g. nginx:alpine')
    .option('--compose-file <path>', 'compose file of a compose app (its content is stored with the app)')
    .option('--health-path <path>', 'HTTP path checked before traffic is switched', '/')
    .option('--health-timeout <seconds>', 'how long a new release may take to become healthy', intOption)
    .option('--no-init', 'run releases without an init as PID 1 (default: with one, so signals reach the app)')
    .option('--stop-timeout <seconds>', 'seconds a stop waits for the app before SIGKILL (default 10)', intOption)
    .option('--json', 'print the app as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const view = await createApp(ctx, {
          server: o.server,
          name: o.name,
          domain: o.domain,
          port: o.port,
          git: o.git,
          branch: o.branch,
          image: o.image,
          ...(o.composeFile ? { composeFile: readComposeFile(o.composeFile) } : {}),
          health: {
            path: o.healthPath,
            ...(o.healthTimeout !== undefined ? { timeoutMs: o.healthTimeout * 1000 } : {}),
          },
          ...(o.init === false ? { init: false } : {}),
          ...(o.stopTimeout !== undefined ? { stopTimeout: o.stopTimeout } : {}),
        });
        if (o.json) return printJson(view);
        success(`created ${view.type} app ${c.bold(view.name)} on ${view.server}`);
        process.stdout.write(`  deploy it with: infrakt app deploy ${view.name}\n`);
      });
    });

  app
    .command('list')
    .description('list apps across all servers')
    .option('--server <server>', 'only apps on this server')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const apps = await listApps(ctx, { server: o.server });
        if (o.json) return printJson(apps);
        printTable(
          ['NAME', 'SERVER', 'TYPE', 'STATUS', 'DOMAIN', 'PORT', 'SOURCE'],
          apps.map((a) => [
            a.name,
            a.server,
            a.type,
            status(a.status),
            dash(a.domain),
            String(a.port),
            dash(a.image ?? (a.git ? `${a.git}#${a.branch}` : null)),
          ]),
          'no apps yet — create one with: infrakt app create --server <server> --name <name> --image <image>',
        );
      });
    });

  app
    .command('show <name>')
    .description('show one app')
    .option('--server <server>', 'server of the app (when the name is used on several)')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const { app: row, server } = await resolveApp(ctx, name, o.server);
        const v = toAppView(row, server.name);
        const runs = (await lastRuns(ctx, 'app', [server.id])).get(`${server.id}/${row.name}`) ?? null;
        const backups = { local: runs?.local ?? null, offsite: runs?.offsite ?? null };
        if (o.json) return printJson({ ...v, backups });
        const run = (r: typeof backups.local) =>
          r
            ? `${status(r.status)} ${r.at}${r.target ? ` to ${r.target}` : ''}${r.snapshotId ? ` (${r.snapshotId.slice(0, 8)})` : ''}`
            : '-';
        const rows: [string, string][] = [
          ['name', v.name],
          ['server', v.server],
          ['type', v.type],
          ['status', status(v.status)],
          ['domain', dash(v.domain)],
          ['port', String(v.port)],
          ['image', dash(v.image)],
          ['git', v.git ? `${v.git}#${v.branch}` : '-'],
          ['release', dash(v.currentRelease)],
          ['backup', run(backups.local)],
          ['off-site', run(backups.offsite)],
        ];
        for (const [k, val] of rows) process.stdout.write(`${c.dim(k.padEnd(9))}${val}\n`);
      });
    });

  app
    .command('update <name>')
    .description(
      "change an app's source (image, branch or compose file; applied by the next deploy), its auth, or its auto-deploy",
    )
    .option('--image <image>', 'new image (image apps)')
    .option('--branch <branch>', 'new branch (git apps)')
    .option('--compose-file <path>', 'new compose file (compose apps)')
    .option('--init', 'run releases with an init as PID 1 (the default)')
    .option('--no-init', 'run releases without an init as PID 1')
    .option('--stop-timeout <seconds>', 'seconds a stop waits for the app before SIGKILL', intOption)
    .option('--auth <spec>', 'forward:URL (forward_auth, e.g. Authentik), basic:USER (password prompted) or none')
    .option(
      '--auto-deploy <mode>',
      'poll: infrakt serve deploys new commits of the branch / new digests of the tag; off',
    )
    .option('--interval <seconds>', 'how often --auto-deploy poll checks (default 60)', intOption)
    .option('--server <server>', 'server of the app')
    .option('--json', 'print the app as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const sourceChange = [o.image, o.branch, o.composeFile, o.init, o.stopTimeout].some((x) => x !== undefined);
        if (o.autoDeploy !== undefined || o.interval !== undefined) {
          if (o.autoDeploy === undefined) throw validation('--interval goes with --auto-deploy poll');
          const v = await setAutoDeploy(ctx, name, {
            mode: o.autoDeploy,
            intervalSeconds: o.interval,
            server: o.server,
          });
          if (o.json && !sourceChange && o.auth === undefined) return printJson(v);
          if (!o.json)
            success(
              v.mode === 'poll'
                ? `${c.bold(v.app)}: infrakt serve checks ${v.watches} every ${v.intervalSeconds}s and deploys changes`
                : `${c.bold(v.app)}: auto-deploy off`,
            );
        }
        if (o.auth !== undefined) {
          await updateAuthCli(ctx, name, o);
          if (!sourceChange) return;
        }
        if (!sourceChange && o.autoDeploy !== undefined) return;
        const patch = {
          image: o.image,
          branch: o.branch,
          composeFile: o.composeFile === undefined ? undefined : readComposeFile(o.composeFile),
          ...(o.init !== undefined ? { init: o.init } : {}),
          ...(o.stopTimeout !== undefined ? { stopTimeout: o.stopTimeout } : {}),
        };
        const view = await updateAppSource(ctx, name, patch, o.server);
        if (o.json) return printJson(view);
        success(`updated ${c.bold(view.name)}; apply with: infrakt app deploy ${view.name}`);
      });
    });
}
