import type { Command } from 'commander';

/**
 * The CLI's top-level commands, in help order, each with the loader of the modules that register it.
 *
 * The loaders are dynamic imports on purpose: the bundle (scripts/build.mjs) turns each into a lazily
 * initialised part, so a command evaluates only its own group's modules (and the services and schemas they
 * import) at start-up, not the catalog, inventory, API or MCP code of every other group. Evaluating all of it
 * was most of a cold start (issue 19); test/e2e/cli-lazy-start.test.ts checks that it stays so.
 *
 * An entry registers every top-level name it lists, on `program`, in this order; registering them all in table
 * order gives the program the full CLI always had.
 */
export interface CommandGroup {
  /** The top-level command names the entry creates. */
  readonly names: readonly string[];
  readonly load: () => Promise<(program: Command) => void>;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  {
    names: ['init'],
    load: async () => (await import('./commands/home.js')).registerInit,
  },
  {
    names: ['server'],
    load: async () => {
      const [list, provision, remote, settings, update, cloud] = await Promise.all([
        import('./commands/servers.js'),
        import('./commands/provision.js'),
        import('./commands/server-remote.js'),
        import('./commands/server-settings.js'),
        import('./commands/server-update.js'),
        import('./commands/provider.js'),
      ]);
      return (program) => {
        const servers = program.command('server').description('manage servers');
        list.registerServerCommands(servers);
        provision.registerServerProvision(servers);
        remote.registerServerRemoteCommands(servers);
        settings.registerServerSet(servers);
        update.registerServerUpdate(servers);
        // Fleet as code (issue 14): cloud servers.
        cloud.registerServerCloudCommands(servers);
      };
    },
  },
  {
    names: ['edge'],
    load: async () => {
      const { registerEdgeCommands } = await import('./commands/edge.js');
      return (program) =>
        registerEdgeCommands(program.command('edge').description('edge servers behind NAT: meeting points and relays'));
    },
  },
  {
    names: ['app'],
    load: async () => {
      const [apps, update, deploy, git, lifecycle, exec, volumes, cluster, webhooks, previews] = await Promise.all([
        import('./commands/apps.js'),
        import('./commands/app-update.js'),
        import('./commands/deploy.js'),
        import('./commands/git-access.js'),
        import('./commands/app-lifecycle.js'),
        import('./commands/app-exec.js'),
        import('./commands/app-volumes.js'),
        import('./commands/cluster-app-ops.js'),
        import('./commands/webhooks.js'),
        import('./commands/previews.js'),
      ]);
      return (program) => {
        const app = program.command('app').description('manage apps');
        apps.registerAppCommands(app);
        update.registerAppUpdateCommand(app);
        deploy.registerDeployCommands(app);
        git.registerGitAccessCommands(app);
        lifecycle.registerAppLifecycleCommands(app);
        exec.registerAppExecCommands(app);
        volumes.registerAppVolumeCommands(app);
        cluster.registerClusterAppCommands(app);
        webhooks.registerWebhookCommands(app);
        previews.registerPreviewCommands(app);
      };
    },
  },
  {
    names: ['env'],
    load: async () => {
      const [env, push] = await Promise.all([import('./commands/env.js'), import('./commands/env-push.js')]);
      return (program) => {
        const cmd = program.command('env').description('manage encrypted app environment variables');
        env.registerEnvCommands(cmd);
        push.registerEnvPushCommand(cmd);
      };
    },
  },
  {
    names: ['db'],
    load: async () => {
      const [dbs, backups] = await Promise.all([import('./commands/databases.js'), import('./commands/backups.js')]);
      return (program) => {
        const db = program.command('db').description('manage databases and their backups');
        dbs.registerDbCommands(db);
        backups.registerBackupCommands(db);
      };
    },
  },
  {
    names: ['cron'],
    load: async () => {
      const { registerCronCommands } = await import('./commands/cron.js');
      return (program) =>
        registerCronCommands(program.command('cron').description('scheduled tasks in one-off containers of an app'));
    },
  },
  {
    names: ['backup-target'],
    load: async () => {
      const { registerBackupTargetCommands } = await import('./commands/backup-targets.js');
      return (program) =>
        registerBackupTargetCommands(
          program.command('backup-target').description('off-site backup targets (restic over SFTP or S3)'),
        );
    },
  },
  {
    names: ['cluster'],
    load: async () => {
      const { registerClusterCommands } = await import('./commands/clusters.js');
      return (program) =>
        registerClusterCommands(
          program.command('cluster').description('Docker Swarm clusters: apps with replicas across servers'),
        );
    },
  },
  {
    names: ['proxy'],
    load: async () => {
      const { registerProxyCommands } = await import('./commands/proxy.js');
      return (program) =>
        registerProxyCommands(program.command('proxy').description('manage the Caddy reverse proxy of a server'));
    },
  },
  {
    names: ['registry'],
    load: async () => {
      const { registerRegistryCommands } = await import('./commands/registries.js');
      return (program) =>
        registerRegistryCommands(
          program.command('registry').description('private container registries a server pulls from'),
        );
    },
  },
  {
    names: ['catalog'],
    load: async () => {
      const [catalog, install, uninstall] = await Promise.all([
        import('./commands/catalog.js'),
        import('./commands/catalog-install.js'),
        import('./commands/catalog-uninstall.js'),
      ]);
      return (program) => {
        const cmd = program.command('catalog').description('one-click apps, host installers and stacks from manifests');
        catalog.registerCatalogCommands(cmd);
        install.registerCatalogInstallCommands(cmd);
        uninstall.registerCatalogUninstallCommands(cmd);
      };
    },
  },
  {
    names: ['job'],
    load: async () => {
      const { registerJobCommands } = await import('./commands/jobs.js');
      return (program) => registerJobCommands(program.command('job').description('inspect, follow and cancel jobs'));
    },
  },
  {
    names: ['lock'],
    load: async () => {
      const { registerLockCommands } = await import('./commands/locks.js');
      return (program) => registerLockCommands(program.command('lock').description('list and break app/server locks'));
    },
  },
  {
    names: ['completion'],
    load: async () => (await import('./commands/completion.js')).registerCompletionCommand,
  },
  {
    names: ['monitor'],
    load: async () => {
      const { registerMonitorCommands } = await import('./commands/monitoring.js');
      return (program) =>
        registerMonitorCommands(
          program.command('monitor').description('health and metrics history recorded by infrakt serve'),
        );
    },
  },
  {
    names: ['notify'],
    load: async () => {
      const { registerNotifyCommands } = await import('./commands/notifications.js');
      return (program) =>
        registerNotifyCommands(
          program.command('notify').description('notification channels: webhook, Slack, Discord, email'),
        );
    },
  },
  {
    names: ['secret'],
    load: async () => {
      const { registerSecretCommands } = await import('./commands/secret.js');
      return (program) =>
        registerSecretCommands(
          program.command('secret').description('named secrets: referenced as secret:NAME in env and infrakt.yaml'),
        );
    },
  },
  // Teams (issue 15): users, scoped tokens, the audit log, approvals. The local CLI itself acts as the owner.
  {
    names: ['user'],
    load: async () => {
      const { registerUserCommands } = await import('./commands/team.js');
      return (program) =>
        registerUserCommands(
          program.command('user').description('users who sign in to the dashboard and API, with roles'),
        );
    },
  },
  {
    names: ['token'],
    load: async () => {
      const { registerTokenCommands } = await import('./commands/team.js');
      return (program) =>
        registerTokenCommands(
          program.command('token').description('scoped API tokens (service accounts) for CI and scripts'),
        );
    },
  },
  {
    names: ['oidc'],
    load: async () => {
      const { registerOidcCommands } = await import('./commands/oidc.js');
      return (program) =>
        registerOidcCommands(
          program.command('oidc').description('OpenID Connect providers for dashboard sign-in (verified email → user)'),
        );
    },
  },
  {
    names: ['audit'],
    load: async () => {
      const { registerAuditCommands } = await import('./commands/team.js');
      return (program) =>
        registerAuditCommands(program.command('audit').description('the tamper-evident log of every change'));
    },
  },
  {
    names: ['approval', 'policy'],
    load: async () => {
      const { registerApprovalCommands } = await import('./commands/team.js');
      return (program) =>
        registerApprovalCommands(
          program.command('approval').description("requests waiting for another admin's approval"),
          program.command('policy').description('operations that need approval'),
        );
    },
  },
  {
    names: ['provider'],
    load: async () => {
      const { registerProviderCommands } = await import('./commands/provider.js');
      return (program) =>
        registerProviderCommands(
          program.command('provider').description('cloud provider accounts (API tokens stored encrypted)'),
        );
    },
  },
  {
    names: ['plan', 'apply', 'export', 'schema'],
    load: async () => (await import('./commands/inventory.js')).registerInventoryCommands,
  },
  {
    names: ['mcp'],
    load: async () => (await import('./commands/mcp.js')).registerMcpCommand,
  },
  {
    names: ['serve'],
    load: async () => (await import('./commands/serve.js')).registerServe,
  },
  {
    names: ['api-key'],
    load: async () => {
      const { registerApiKeyCommands } = await import('./commands/api-key.js');
      return (program) =>
        registerApiKeyCommands(program.command('api-key').description('show or rotate the HTTP API key'));
    },
  },
];

/** The entry that registers the top-level command `name`, if any. */
export function commandGroup(name: string): CommandGroup | undefined {
  return COMMAND_GROUPS.find((g) => g.names.includes(name));
}
