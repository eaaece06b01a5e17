import type { Command } from 'commander';
import { PRIVILEGE_CLASSES } from '../../core/compose-privileges.js';
import { InfraktError } from '../../core/errors.js';
import { type AppUpdateInput, prepareAppUpdate } from '../../services/apps/app-update.js';
import { parsePrivilegeClasses, setAppPrivileges } from '../../services/apps/privileges.js';
import { setAutoDeploy } from '../../services/polling/auto-deploy.js';
import { assertLevel } from '../../services/shared/access.js';
import { updateAuthCli } from '../app-auth.js';
import { withCtx } from '../context.js';
import { collect, intOption, noneToNull, readComposeFile } from '../options.js';
import { c, printJson, success } from '../output.js';
import { runJob } from '../progress.js';
import { readSecret } from '../read-secret.js';

/** `app update`: source, routes (at once), how releases run (next deploy), private git access. */
export function registerAppUpdateCommand(app: Command): void {
  app
    .command('update <name>')
    .description(
      'change an app: domains and the www redirect apply at once (Caddy reloaded); everything else at the next deploy',
    )
    .option('--image <image>', 'new image (image apps)')
    .option('--branch <branch>', 'new branch (git apps)')
    .option('--git <url>', 'new repository (git apps): https, SSH or a path on the server')
    .option('--compose-file <path>', 'new compose file (compose apps)')
    .option(
      '--domain <domain>',
      'the app’s domains, replacing the current ones (repeat; the first is primary)',
      collect,
    )
    .option('--no-domain', 'remove every domain (the app is then reachable only on its loopback port)')
    .option('--www-redirect <on|off>', 'www.<domain> answers with a permanent redirect to <domain>')
    .option('--port <port>', 'port the app listens on inside its container', intOption)
    .option('--health-path <path>', 'HTTP path checked before traffic is switched')
    .option('--health-timeout <seconds>', 'how long a new release may take to become healthy', intOption)
    .option('--memory <size>', 'memory limit of the app container, e.g. 512m or 2g (none: no limit)')
    .option('--cpus <n>', 'CPU limit, e.g. 0.5 or 2 (none: no limit)')
    .option('--init', 'run releases with an init as PID 1 (the default)')
    .option('--no-init', 'run releases without an init as PID 1')
    .option('--stop-timeout <seconds>', 'seconds a stop waits for the app before SIGKILL', intOption)
    .option(
      '--drain-timeout <seconds>',
      'how long a deploy waits for requests in flight to the previous release before stopping it (0: none)',
      intOption,
    )
    .option('--restart <policy>', 'restart policy: unless-stopped (default), always, on-failure[:N] or no')
    .option(
      '--volume <spec>',
      'NAME:/path (named volume, kept) or ./dir:/path (under the app dir); :ro for read-only; replaces the list (repeat)',
      collect,
    )
    .option('--no-volume', 'remove every volume from the app (named volumes stay on the server)')
    .option(
      '--release-command <cmd>',
      'run once in the new release before traffic switches, e.g. "npm run migrate" (none: remove)',
    )
    .option(
      '--pre-backup-hook <cmd>',
      'run in the app\'s container before app backup reads its volumes, e.g. "pg_dump -f /data/dump.sql" (none: remove)',
    )
    .option(
      '--git-host-key <key>',
      'SSH sources: pin this git host key ("ssh-ed25519 AAAA…" or SHA256:…; none: re-pin on next fetch)',
    )
    .option('--git-token', 'https sources: read a new token (prompted, or piped on stdin)')
    .option('--no-git-token', 'https sources: remove the stored token')
    .option('--git-username <user>', 'user name sent with the git token')
    .option('--auth <spec>', 'forward:URL (forward_auth, e.g. Authentik), basic:USER (password prompted) or none')
    .option(
      '--auto-deploy <mode>',
      'poll: infrakt serve deploys new commits of the branch / new digests of the tag; off',
    )
    .option('--interval <seconds>', 'how often --auto-deploy poll checks (default 60)', intOption)
    .option(
      '--allow-privileged <classes>',
      `admins: privileged compose options non-admin deploys of this app may use, replacing the list: ${PRIVILEGE_CLASSES.join(', ')} (comma-separated), or none`,
    )
    .option('--server <server>', 'server of the app')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        if (o.interval !== undefined && o.autoDeploy === undefined)
          throw new InfraktError('VALIDATION', '--interval goes with --auto-deploy poll');
        const input = await inputOf(o);
        const more = Object.values(input).some((v) => v !== undefined);
        const alone = o.auth === undefined && o.autoDeploy === undefined && o.allowPrivileged === undefined;
        // Checked (admin, known names) before anything is written.
        const privileges =
          o.allowPrivileged === undefined ? undefined : parsePrivilegeClasses(String(o.allowPrivileged));
        if (privileges) assertLevel(ctx, 'admin', 'allow privileged compose options');
        // Everything is validated before anything is written (auth included).
        const prepared = more || alone ? await prepareAppUpdate(ctx, name, input, { server: o.server }) : null;
        if (privileges) {
          const v = await setAppPrivileges(ctx, name, privileges, { server: o.server });
          if (o.json && !prepared && o.auth === undefined && o.autoDeploy === undefined) return printJson(v);
          if (!o.json)
            success(
              `${c.bold(v.app)}: non-admin deploys may use ${v.allowed.length ? v.allowed.join(', ') : 'no privileged compose options'}`,
            );
        }
        if (o.autoDeploy !== undefined) {
          const v = await setAutoDeploy(ctx, name, {
            mode: o.autoDeploy,
            intervalSeconds: o.interval,
            server: o.server,
          });
          if (o.json && !prepared && o.auth === undefined) return printJson(v);
          if (!o.json)
            success(
              v.mode === 'poll'
                ? `${c.bold(v.app)}: infrakt serve checks ${v.watches} every ${v.intervalSeconds}s and deploys changes`
                : `${c.bold(v.app)}: auto-deploy off`,
            );
        }
        if (o.auth !== undefined) await updateAuthCli(ctx, name, o);
        if (!prepared) return;
        const { plan, store } = prepared;
        const r = plan ? (await runJob(ctx, plan.spec, plan.body, { json: Boolean(o.json) })).result : await store();
        if (o.json) return plan ? undefined : printJson(r);
        success(`updated ${c.bold(r.app)}${r.changed.length ? '' : ' (nothing changed)'}`);
        for (const ch of r.changed) process.stdout.write(`  ${ch}\n`);
        if (r.routes === 'applied') process.stdout.write('  routes: live now (Caddy reloaded)\n');
        if (r.routes === 'stored') process.stdout.write('  routes: applied by the first deploy\n');
        if (r.pending.length) {
          process.stdout.write(`${c.yellow('pending')} (apply with: infrakt app deploy ${r.app})\n`);
          for (const p of r.pending) process.stdout.write(`  ${p}\n`);
        }
      });
    });
}

async function inputOf(o: Record<string, unknown>): Promise<AppUpdateInput> {
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const www = str('wwwRedirect');
  return {
    image: str('image'),
    branch: str('branch'),
    git: str('git'),
    composeFile: str('composeFile') === undefined ? undefined : readComposeFile(str('composeFile')!),
    // `--no-domain` sets false; `--domain` (repeated) a list; neither leaves the domains as they are.
    domains: o.domain === false ? [] : Array.isArray(o.domain) ? (o.domain as string[]) : undefined,
    wwwRedirect: www === undefined ? undefined : onOff('--www-redirect', www),
    port: o.port as number | undefined,
    healthPath: str('healthPath'),
    healthTimeout: o.healthTimeout as number | undefined,
    memory: noneToNull(str('memory')),
    cpus: noneToNull(str('cpus')),
    restart: str('restart'),
    volumes: o.volume === false ? [] : Array.isArray(o.volume) ? (o.volume as string[]) : undefined,
    releaseCommand: noneToNull(str('releaseCommand')),
    preBackupHook: noneToNull(str('preBackupHook')),
    gitHostKey: noneToNull(str('gitHostKey')),
    gitToken: o.gitToken === true ? await readSecret('git token') : o.gitToken === false ? null : undefined,
    gitUsername: str('gitUsername'),
    init: typeof o.init === 'boolean' ? o.init : undefined,
    stopTimeout: o.stopTimeout as number | undefined,
    drainTimeout: o.drainTimeout as number | undefined,
  };
}

function onOff(opt: string, v: string): boolean {
  if (v === 'on' || v === 'off') return v === 'on';
  throw new InfraktError('VALIDATION', `${opt} must be on or off, not '${v}'`);
}
