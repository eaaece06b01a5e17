import { Command } from 'commander';
import { registerApiKeyCommands } from './commands/api-key.js';
import { registerAppExecCommands } from './commands/app-exec.js';
import { registerAppLifecycleCommands } from './commands/app-lifecycle.js';
import { registerAppUpdateCommand } from './commands/app-update.js';
import { registerAppVolumeCommands } from './commands/app-volumes.js';
import { registerAppCommands } from './commands/apps.js';
import { registerBackupTargetCommands } from './commands/backup-targets.js';
import { registerBackupCommands } from './commands/backups.js';
import { registerCatalogCommands } from './commands/catalog.js';
import { registerCatalogInstallCommands } from './commands/catalog-install.js';
import { registerCatalogUninstallCommands } from './commands/catalog-uninstall.js';
import { registerClusterAppCommands } from './commands/cluster-app-ops.js';
import { registerClusterCommands } from './commands/clusters.js';
import { registerCompletionCommand } from './commands/completion.js';
import { registerCronCommands } from './commands/cron.js';
import { registerDbCommands } from './commands/databases.js';
import { registerDeployCommands } from './commands/deploy.js';
import { registerEdgeCommands } from './commands/edge.js';
import { registerEnvCommands } from './commands/env.js';
import { registerEnvPushCommand } from './commands/env-push.js';
import { registerGitAccessCommands } from './commands/git-access.js';
import { registerInit } from './commands/home.js';
import { registerInventoryCommands } from './commands/inventory.js';
import { registerJobCommands } from './commands/jobs.js';
import { registerLockCommands } from './commands/locks.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerMonitorCommands } from './commands/monitoring.js';
import { registerNotifyCommands } from './commands/notifications.js';
import { registerOidcCommands } from './commands/oidc.js';
import { registerPreviewCommands } from './commands/previews.js';
import { registerProviderCommands, registerServerCloudCommands } from './commands/provider.js';
import { registerServerProvision } from './commands/provision.js';
import { registerProxyCommands } from './commands/proxy.js';
import { registerRegistryCommands } from './commands/registries.js';
import { registerSecretCommands } from './commands/secret.js';
import { registerServe } from './commands/serve.js';
import { registerServerRemoteCommands } from './commands/server-remote.js';
import { registerServerSet } from './commands/server-settings.js';
import { registerServerUpdate } from './commands/server-update.js';
import { registerServerCommands } from './commands/servers.js';
import {
  registerApprovalCommands,
  registerAuditCommands,
  registerTokenCommands,
  registerUserCommands,
} from './commands/team.js';
import { registerWebhookCommands } from './commands/webhooks.js';
import { complete } from './completion.js';
import { readResourceNames } from './context.js';
import { reportError } from './errors.js';
import { addHelpExamples } from './examples.js';

declare const INFRAKT_VERSION: string;

export function buildProgram(): Command {
  const program = new Command('infrakt')
    .description('Self-hosted PaaS over plain SSH: servers, apps, env vars, databases and Caddy, no remote agent.')
    .version(typeof INFRAKT_VERSION === 'string' ? INFRAKT_VERSION : 'dev', '-v, --version')
    .option('--debug', 'print stack traces for errors')
    .option('--verbose', 'show job log lines under the running step')
    .showHelpAfterError('hint: run the command with --help for usage')
    .exitOverride();

  registerInit(program);
  const servers = program.command('server').description('manage servers');
  registerServerCommands(servers);
  registerServerProvision(servers);
  registerServerRemoteCommands(servers);
  registerServerSet(servers);
  registerServerUpdate(servers);
  registerEdgeCommands(program.command('edge').description('edge servers behind NAT: meeting points and relays'));
  const apps = program.command('app').description('manage apps');
  registerAppCommands(apps);
  registerAppUpdateCommand(apps);
  registerDeployCommands(apps);
  registerGitAccessCommands(apps);
  registerAppLifecycleCommands(apps);
  registerAppExecCommands(apps);
  registerAppVolumeCommands(apps);
  registerClusterAppCommands(apps);
  registerWebhookCommands(apps);
  registerPreviewCommands(apps);
  const env = program.command('env').description('manage encrypted app environment variables');
  registerEnvCommands(env);
  registerEnvPushCommand(env);
  const db = program.command('db').description('manage databases and their backups');
  registerDbCommands(db);
  registerBackupCommands(db);
  registerCronCommands(program.command('cron').description('scheduled tasks in one-off containers of an app'));
  registerBackupTargetCommands(
    program.command('backup-target').description('off-site backup targets (restic over SFTP or S3)'),
  );
  registerClusterCommands(
    program.command('cluster').description('Docker Swarm clusters: apps with replicas across servers'),
  );
  registerProxyCommands(program.command('proxy').description('manage the Caddy reverse proxy of a server'));
  registerRegistryCommands(program.command('registry').description('private container registries a server pulls from'));
  const catalog = program.command('catalog').description('one-click apps, host installers and stacks from manifests');
  registerCatalogCommands(catalog);
  registerCatalogInstallCommands(catalog);
  registerCatalogUninstallCommands(catalog);
  registerJobCommands(program.command('job').description('inspect, follow and cancel jobs'));
  registerLockCommands(program.command('lock').description('list and break app/server locks'));
  registerCompletionCommand(program);
  registerMonitorCommands(
    program.command('monitor').description('health and metrics history recorded by infrakt serve'),
  );
  registerNotifyCommands(
    program.command('notify').description('notification channels: webhook, Slack, Discord, email'),
  );

  // Fleet as code (issue 14): cloud servers, secrets, providers, inventory plan/apply/export/schema, MCP.
  registerServerCloudCommands(servers);
  registerSecretCommands(
    program.command('secret').description('named secrets: referenced as secret:NAME in env and infrakt.yaml'),
  );
  // Teams (issue 15): users, scoped tokens, the audit log, approvals. The local CLI itself acts as the owner.
  registerUserCommands(program.command('user').description('users who sign in to the dashboard and API, with roles'));
  registerTokenCommands(
    program.command('token').description('scoped API tokens (service accounts) for CI and scripts'),
  );
  registerOidcCommands(
    program.command('oidc').description('OpenID Connect providers for dashboard sign-in (verified email → user)'),
  );
  registerAuditCommands(program.command('audit').description('the tamper-evident log of every change'));
  registerApprovalCommands(
    program.command('approval').description("requests waiting for another admin's approval"),
    program.command('policy').description('operations that need approval'),
  );
  registerProviderCommands(
    program.command('provider').description('cloud provider accounts (API tokens stored encrypted)'),
  );
  registerInventoryCommands(program);
  registerMcpCommand(program);
  registerServe(program);
  registerApiKeyCommands(program.command('api-key').description('show or rotate the HTTP API key'));

  addHelpExamples(program);
  // Subcommands inherit exitOverride so usage errors surface as exceptions we map to exit codes.
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // The completion scripts' callback: its words are not infrakt options, so commander does not parse them.
  if (argv[2] === '__complete') {
    const names = await readResourceNames().catch(() => ({ apps: [], servers: [], databases: [] }));
    const out = complete(program, argv.slice(4), argv[3] ?? '', names);
    if (out.length) process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  }
  const debug = argv.includes('--debug');
  // --json among infrakt's own arguments (not in a remote command after `--`): failures print JSON too.
  const own = argv.indexOf('--') < 0 ? argv : argv.slice(0, argv.indexOf('--'));
  const json = own.slice(2).includes('--json');
  // `db create --version <tag>` / `catalog show --version <v>` are versions of the thing: after these
  // commands, program options are not parsed.
  if (argv[2] === 'db' || argv[2] === 'catalog') program.enablePositionalOptions();
  try {
    await program.parseAsync(argv);
    // `app exec|run|shell` pass the remote command's exit status through.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e, debug, json);
  }
}
