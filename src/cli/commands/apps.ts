import type { Command } from 'commander';
import { nameSchema } from '../../core/schemas/common.js';
import type { AppSettingsView } from '../../core/schemas/views/apps.js';
import { appSettingsView } from '../../services/apps/app-settings-view.js';
import { appViewOf, createApp, listApps, resolveApp } from '../../services/apps/apps.js';
import { lastRuns } from '../../services/backup-targets/runs.js';
import { listServers } from '../../services/servers/servers.js';
import type { Ctx } from '../../services/shared/context.js';
import { askMissing, canAsk } from '../ask-missing.js';
import { withCtx } from '../context.js';
import { collect, intOption, readComposeFile } from '../options.js';
import { c, dash, printJson, printTable, status, success } from '../output.js';
import { readSecret } from '../read-secret.js';

export function registerAppCommands(app: Command): void {
  app
    .command('create')
    .description('register an app on a server (does not deploy; type: image if --image, git if --git, else compose)')
    .option('--server <server>', 'target server name (required unless --cluster; asked for on a terminal)')
    .option('--name <name>', 'app name, unique per server (required; asked for on a terminal)')
    .option('--cluster <cluster>', 'run the app on a Swarm cluster (image and compose apps) instead of one server')
    .option('--replicas <n>', 'replicas on the cluster', intOption, 1)
    .option('--placement <constraint>', 'placement constraint, e.g. node.labels.zone==a (repeatable)', collect, [])
    .option('--max-per-node <n>', 'at most this many replicas on one node', intOption)
    .option(
      '--domain <domain>',
      'domain routed to the app by Caddy (repeat for several; the first is primary)',
      collect,
    )
    .option('--port <port>', 'port the app listens on inside its container', intOption, 3000)
    .option('--git <url>', 'git repository: https URL, or SSH (git@host:org/repo.git, ssh://…) with a deploy key')
    .option('--branch <branch>', 'git branch to deploy', 'main')
    .option('--git-host-key <key>', 'SSH sources: pin this git host key ("ssh-ed25519 AAAA…" or SHA256:…)')
    .option('--git-token', 'https sources: read a token for a private repository (prompted, or piped on stdin)')
    .option('--git-username <user>', 'user name sent with --git-token (default x-access-token)')
    .option('--image <image>', 'Docker image, e.g. nginx:alpine')
    .option('--compose-file <path>', 'compose file of a compose app (its content is stored with the app)')
    .option('--health-path <path>', 'HTTP path checked before traffic is switched', '/')
    .option('--health-timeout <seconds>', 'how long a new release may take to become healthy', intOption)
    .option('--no-init', 'run releases without an init as PID 1 (default: with one, so signals reach the app)')
    .option('--stop-timeout <seconds>', 'seconds a stop waits for the app before SIGKILL (default 10)', intOption)
    .option(
      '--drain-timeout <seconds>',
      'how long a deploy waits for requests in flight to the previous release before stopping it (default 30; 0: none)',
      intOption,
    )
    .option('--json', 'print the app as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        await askForApp(ctx, o);
        const gitToken = o.gitToken ? await readSecret('git token') : undefined;
        const domains: string[] = o.domain ?? [];
        const view = await createApp(ctx, {
          server: o.server,
          ...(o.cluster
            ? {
                cluster: { cluster: o.cluster, replicas: o.replicas, placement: o.placement, maxPerNode: o.maxPerNode },
              }
            : {}),
          name: o.name,
          ...(domains.length ? { domains } : {}),
          port: o.port,
          git: o.git,
          branch: o.branch,
          image: o.image,
          ...(o.composeFile ? { composeFile: readComposeFile(o.composeFile) } : {}),
          ...(o.gitHostKey !== undefined ? { gitHostKey: o.gitHostKey } : {}),
          ...(gitToken ? { gitToken } : {}),
          ...(o.gitUsername !== undefined ? { gitUsername: o.gitUsername } : {}),
          health: {
            path: o.healthPath,
            ...(o.healthTimeout !== undefined ? { timeoutMs: o.healthTimeout * 1000 } : {}),
          },
          ...(o.init === false ? { init: false } : {}),
          ...(o.stopTimeout !== undefined ? { stopTimeout: o.stopTimeout } : {}),
          ...(o.drainTimeout !== undefined ? { drainTimeout: o.drainTimeout } : {}),
        });
        if (o.json) return printJson(view);
        success(
          view.cluster
            ? `created ${view.type} app ${c.bold(view.name)} on cluster ${view.cluster.cluster} (${view.cluster.replicas} replica(s))`
            : `created ${view.type} app ${c.bold(view.name)} on ${view.server}`,
        );
        const { app: row, server } = await resolveApp(ctx, view.name, view.server);
        const settings = await appSettingsView(ctx, row, server);
        if (settings.git?.deployKey) {
          process.stdout.write(
            `  add this deploy key (read-only) to the repository:\n  ${settings.git.deployKey}\n` +
              `  (shown again by: infrakt app deploy-key ${view.name})\n`,
          );
        }
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
            a.cluster ? `cluster ${a.cluster.cluster} ×${a.cluster.replicas}` : a.server,
            a.type,
            status(a.status),
            dash(a.domains.length > 1 ? `${a.domain} (+${a.domains.length - 1})` : a.domain),
            String(a.port),
            dash(a.image ?? (a.git ? `${a.git}#${a.branch}` : null)),
          ]),
          'no apps yet — create one with: infrakt app create --server <server> --name <name> --image <image>',
        );
      });
    });

  app
    .command('show <name>')
    .description('show one app: source, domains, how releases run, private git access, and what is pending')
    .option('--server <server>', 'server of the app (when the name is used on several)')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const { app: row, server } = await resolveApp(ctx, name, o.server);
        const settings = await appSettingsView(ctx, row, server);
        const v = await appViewOf(ctx, row, server.name, settings.domains.slice(1));
        const runs = (await lastRuns(ctx, 'app', [server.id])).get(`${server.id}/${row.name}`) ?? null;
        const backups = { local: runs?.local ?? null, offsite: runs?.offsite ?? null };
        if (o.json) return printJson({ ...v, settings, backups });
        const run = (r: typeof backups.local) =>
          r
            ? `${status(r.status)} ${r.at}${r.target ? ` to ${r.target}` : ''}${r.snapshotId ? ` (${r.snapshotId.slice(0, 8)})` : ''}`
            : '-';
        const rows: [string, string][] = [
          ['name', v.name],
          ['server', v.server],
          ...(v.cluster
            ? ([
                ['cluster', v.cluster.cluster],
                [
                  'replicas',
                  `${v.cluster.replicas}${v.cluster.maxPerNode ? ` (max ${v.cluster.maxPerNode} per node)` : ''}`,
                ],
                ['placement', v.cluster.placement.join(', ') || '-'],
              ] as [string, string][])
            : []),
          ['type', v.type],
          ['status', status(v.status)],
          ['domains', settings.domains.join(', ') || '-'],
          ...(settings.wwwRedirect ? ([['www', 'www.<domain> redirects to <domain>']] as [string, string][]) : []),
          ['port', String(v.port)],
          ['image', dash(v.image)],
          ['git', v.git ? `${v.git}#${v.branch}` : '-'],
          ['release', dash(v.currentRelease)],
          ...settingsRows(settings),
          ['backup', run(backups.local)],
          ['off-site', run(backups.offsite)],
        ];
        for (const [k, val] of rows) process.stdout.write(`${c.dim(k.padEnd(16))}${val}\n`);
        if (settings.pending.length) {
          process.stdout.write(`${c.yellow('pending')} (applied by the next deploy: infrakt app deploy ${v.name})\n`);
          for (const p of settings.pending) process.stdout.write(`  ${p}\n`);
        }
      });
    });
}

function settingsRows(s: AppSettingsView): [string, string][] {
  const rows: [string, string][] = [
    ['health', `${s.health.path} within ${s.health.timeoutMs / 1000}s`],
    ['limits', `memory ${s.memory ?? 'none'}, cpus ${s.cpus ?? 'none'}`],
    ['restart', s.restart],
    ['volumes', s.volumes.map((v) => v.spec).join(', ') || '-'],
    [
      'stop',
      `${s.init ? 'init as PID 1' : 'no init'}, SIGKILL after ${s.stopTimeoutSec}s; ` +
        (s.drainTimeoutSec > 0
          ? `deploys wait up to ${s.drainTimeoutSec}s for requests in flight to the previous release`
          : 'deploys stop the previous release without waiting for requests in flight'),
    ],
    ['release command', dash(s.releaseCommand)],
    ['pre-backup hook', dash(s.preBackupHook)],
    ['privileges', s.privileges.join(', ') || 'none (non-admin deploys refused privileged compose options)'],
  ];
  if (s.git?.kind === 'ssh') {
    rows.push(['deploy key', s.git.deployKey ?? 'none yet (infrakt app deploy-key <app>)']);
    rows.push(['git host key', s.git.hostKeys.join(', ') || 'pinned on the first fetch']);
  }
  if (s.git?.kind === 'https') rows.push(['git token', s.git.token ? `set (user ${s.git.token.username})` : '-']);
  return rows;
}

/**
 * On a terminal, `app create` asks for what is missing: the server (the only one is offered), the name, and a
 * source when none of --image, --git, --compose-file is given (a git URL or an image reference).
 */
async function askForApp(
  ctx: Ctx,
  o: {
    server?: string;
    cluster?: string;
    name?: string;
    image?: string;
    git?: string;
    composeFile?: string;
    json?: boolean;
  },
): Promise<void> {
  const servers = o.server || o.cluster || !canAsk(o) ? [] : (await listServers(ctx)).map((s) => s.name);
  const serverQuestion = servers.length > 1 ? `Server (${servers.slice(0, 8).join(', ')})` : 'Server';
  const needed = {
    server: {
      flag: '--server <server>',
      question: serverQuestion,
      schema: nameSchema,
      ...(servers.length === 1 ? { fallback: servers[0]! } : {}),
    },
    name: { flag: '--name <name>', question: 'App name', schema: nameSchema },
  };
  // A cluster app runs on the cluster's manager: no server to ask for then.
  if (o.cluster) Object.assign(o, await askMissing({ name: o.name }, { name: needed.name }, o));
  else Object.assign(o, await askMissing({ server: o.server, name: o.name }, needed, o));
  if (o.image || o.git || o.composeFile || !canAsk(o)) return;
  const { source } = await askMissing(
    { source: undefined },
    { source: { flag: '--image <image>', question: 'Image (e.g. nginx:alpine) or git URL' } },
    o,
  );
  if (/^(https:\/\/|ssh:\/\/)|^[\w.-]+@[\w.-]+:|\.git$|^\//.test(source)) o.git = source;
  else o.image = source;
}
