import type { Command } from 'commander';
import type { WebhookView } from '../../core/schemas/views/webhooks.js';
import { listWebhookDeliveries } from '../../services/webhooks/deliveries.js';
import { disableWebhook, enableWebhook, rotateWebhook, showWebhook } from '../../services/webhooks/hooks.js';
import { withCtx } from '../context.js';
import { countOption } from '../options.js';
import { c, dash, printJson, printTable, status, success } from '../output.js';

function printHook(v: WebhookView, o: { baseUrl?: string }): void {
  const url = o.baseUrl ? `${o.baseUrl.replace(/\/+$/, '')}${v.path}` : `<infrakt serve URL>${v.path}`;
  const rows: [string, string][] = [
    ['app', `${v.server}/${v.app}`],
    ['url', url],
    ['branch', v.branch],
    ['secret', v.secret ?? c.dim('hidden (--reveal to print it)')],
    ['previews', v.previews ? 'pull request events deploy previews' : 'off (app previews --enable)'],
    ['content', 'application/json; events: push (and pull requests for previews)'],
  ];
  for (const [k, val] of rows) process.stdout.write(`${c.dim(k.padEnd(9))}${val}\n`);
  if (!o.baseUrl) {
    process.stdout.write(
      c.dim('  the git host must reach infrakt serve: put it behind a TLS reverse proxy and pass --base-url\n'),
    );
  }
}

/** `app webhook enable|show|rotate|disable|deliveries` (services/webhooks). */
export function registerWebhookCommands(app: Command): void {
  const hook = app.command('webhook').description('push to deploy: a signed webhook URL per git app');
  const base = '--base-url <url>';
  const baseHelp = 'public URL of infrakt serve, to print the full webhook URL';

  hook
    .command('enable <app>')
    .description('create the webhook URL and secret of a git app (GitHub, GitLab, Gitea, Forgejo)')
    .option('--branch <branch>', "deploy pushes to this branch (default: the app's branch)")
    .option('--server <server>', 'server of the app')
    .option(base, baseHelp)
    .option('--json', 'print as JSON (includes the secret)')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const v = await enableWebhook(ctx, name, { server: o.server, branch: o.branch });
        if (o.json) return printJson(v);
        success(`webhook enabled for ${c.bold(v.app)}; the secret is shown once (app webhook show --reveal)`);
        printHook(v, o);
      });
    });

  hook
    .command('show <app>')
    .description('the webhook URL, branch and (with --reveal) the secret')
    .option('--reveal', 'print the secret (recorded in the audit log)')
    .option('--server <server>', 'server of the app')
    .option(base, baseHelp)
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const v = await showWebhook(ctx, name, { server: o.server, reveal: Boolean(o.reveal) });
        if (o.json) return printJson(v);
        printHook(v, o);
      });
    });

  hook
    .command('rotate <app>')
    .description('a new secret (same URL): update it at the git host, deliveries with the old one are refused')
    .option('--server <server>', 'server of the app')
    .option(base, baseHelp)
    .option('--json', 'print as JSON (includes the secret)')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const v = await rotateWebhook(ctx, name, { server: o.server });
        if (o.json) return printJson(v);
        success(`new secret for ${c.bold(v.app)}; set it at the git host now`);
        printHook(v, o);
      });
    });

  hook
    .command('disable <app>')
    .description('remove the webhook: its URL stops working (the delivery log is kept)')
    .option('--server <server>', 'server of the app')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        await disableWebhook(ctx, name, { server: o.server });
        success(`webhook of ${c.bold(name)} disabled`);
      });
    });

  hook
    .command('deliveries <app>')
    .description('the delivery log, newest first: event, ref, commit, outcome, job')
    .option('--limit <n>', 'how many (1-200)', countOption(200), 30)
    .option('--server <server>', 'server of the app')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const rows = await listWebhookDeliveries(ctx, name, { server: o.server, limit: o.limit });
        if (o.json) return printJson(rows);
        printTable(
          ['ID', 'RECEIVED', 'FROM', 'EVENT', 'REF', 'COMMIT', 'OUTCOME', 'JOB', 'REASON'],
          rows.map((r) => [
            String(r.id),
            r.receivedAt.replace('T', ' ').slice(0, 19),
            r.provider,
            dash(r.pr ? `${r.event} #${r.pr}` : r.event),
            dash(r.ref),
            dash(r.commit?.slice(0, 12)),
            status(r.outcome),
            r.jobId ? `${r.jobId} ${r.jobStatus ? status(r.jobStatus) : ''}` : '-',
            dash(r.reason?.slice(0, 70)),
          ]),
          `no deliveries yet for ${name}`,
        );
      });
    });
}
