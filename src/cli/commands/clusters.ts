import type { Command } from 'commander';
import { listClusters } from '../../services/clusters/clusters.js';
import { prepareCreateCluster } from '../../services/clusters/create.js';
import { prepareDestroyCluster } from '../../services/clusters/destroy.js';
import { prepareAddNode, prepareRemoveNode } from '../../services/clusters/nodes.js';
import { showCluster } from '../../services/clusters/show.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { c, dash, printJson, printTable, status, success } from '../output.js';
import { runPlanCli } from '../progress.js';
import { confirm, confirmByName } from '../prompt.js';

const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `cluster create|list|show|destroy`: Docker Swarm clusters of registered servers (services/clusters). */
export function registerClusterCommands(cluster: Command): void {
  cluster
    .command('create <name>')
    .description('create a Docker Swarm cluster: swarm init on the manager, other nodes join (tokens over stdin only)')
    .requiredOption('--manager <server>', 'registered server where the swarm is initialised (its first manager)')
    .option(
      '--managers <servers>',
      'comma-separated registered servers that join as more managers (3 managers in all survive the loss of one)',
      list,
      [],
    )
    .option('--workers <servers>', 'comma-separated registered servers that join as workers', list, [])
    .option('--http-port <port>', 'port the edge proxy (Caddy on every node) listens on', intOption, 80)
    .option('--proxy-image <image>', 'edge proxy image, reachable by every node', 'caddy:2')
    .option('--encrypted', 'encrypt the overlay network (IPsec ESP AES-GCM; every node is checked first)')
    .option('--json', 'print the cluster as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareCreateCluster(ctx, {
          name,
          manager: o.manager,
          managers: o.managers,
          workers: o.workers,
          settings: { httpPort: o.httpPort, proxyImage: o.proxyImage, encrypted: Boolean(o.encrypted) },
        });
        const view = await runPlanCli(ctx, plan, o.json);
        if (o.json) return;
        const managers = view.nodes.filter((n) => n.role === 'manager').length;
        success(`cluster ${c.bold(view.name)} is active with ${view.nodes.length} node(s), ${managers} manager(s)`);
        process.stdout.write(
          `  run an app on it: infrakt app create --cluster ${view.name} --name <app> --image <image> --replicas 3\n`,
        );
      });
    });

  cluster
    .command('list')
    .description('list clusters with their nodes and apps')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const clusters = await listClusters(ctx);
        if (o.json) return printJson(clusters);
        printTable(
          ['NAME', 'STATUS', 'MANAGERS', 'WORKERS', 'APPS', 'HTTP PORT'],
          clusters.map((k) => [
            k.name,
            status(k.status),
            k.nodes
              .filter((n) => n.role === 'manager')
              .map((n) => n.server)
              .join(',') || '-',
            k.nodes
              .filter((n) => n.role === 'worker')
              .map((n) => n.server)
              .join(',') || '-',
            String(k.apps.length),
            String(k.httpPort),
          ]),
          'no clusters yet — create one with: infrakt cluster create <name> --manager <server> --workers <s2,s3>',
        );
      });
    });

  cluster
    .command('show <name>')
    .description('show a cluster: nodes as the swarm sees them (role, status, availability, Docker version), apps')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const k = await showCluster(ctx, name);
        if (o.json) return printJson(k);
        process.stdout.write(
          `${c.dim('name'.padEnd(10))}${k.name}\n${c.dim('status'.padEnd(10))}${status(k.status)}\n`,
        );
        process.stdout.write(
          `${c.dim('network'.padEnd(10))}${k.network} (overlay, ${k.encrypted ? 'encrypted: IPsec ESP between nodes' : 'not encrypted'})\n`,
        );
        process.stdout.write(`${c.dim('edge'.padEnd(10))}${k.proxyImage} on port ${k.httpPort} of every node\n`);
        const passed = k.passedOver.map((p) => `${p.server}: ${p.error}`).join('; ');
        process.stdout.write(
          `${c.dim('answered'.padEnd(10))}${dash(k.manager)}${passed ? c.yellow(` (passed over ${passed})`) : ''}\n\n`,
        );
        if (k.live) {
          printTable(
            ['NODE', 'SERVER', 'ROLE', 'STATUS', 'AVAILABILITY', 'DOCKER'],
            k.live.map((n) => [
              n.hostname,
              dash(n.server),
              n.managerStatus ? `manager (${n.managerStatus.toLowerCase()})` : 'worker',
              status(n.status.toLowerCase()),
              n.availability.toLowerCase(),
              n.engineVersion,
            ]),
            'no nodes',
          );
        } else {
          process.stdout.write(`${c.yellow('no manager answered')}: ${k.error}\n`);
        }
        process.stdout.write('\n');
        printTable(
          ['APP', 'REPLICAS', 'DOMAIN'],
          k.apps.map((a) => [a.name, String(a.replicas), dash(a.domain)]),
          'no apps on this cluster yet',
        );
      });
    });

  cluster
    .command('add-node <name> <server>')
    .description('join a registered server to the cluster as a worker or manager (the join token goes over stdin)')
    .option('--manager', 'join as a manager (keep the managers an odd number: 3, 5, 7)')
    .option('--json', 'print the cluster as JSON')
    .action(async (name: string, server: string, o) => {
      await withCtx(async (ctx) => {
        const view = await runPlanCli(ctx, await prepareAddNode(ctx, name, server, { manager: o.manager }), o.json);
        const role = o.manager ? 'a manager' : 'a worker';
        if (!o.json) success(`${server} joined cluster ${c.bold(view.name)} as ${role} (${view.nodes.length} node(s))`);
      });
    });

  cluster
    .command('remove-node <name> <server>')
    .description('demote a manager, drain the node (its replicas move to other nodes), then it leaves the swarm')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, server: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareRemoveNode(ctx, name, server);
        if (!o.yes)
          await confirm(`Drain ${server} and remove it from cluster '${name}'?`, 'pass -y/--yes to remove it');
        const r = await runPlanCli(ctx, plan, o.json);
        if (!o.json) success(`${server} left cluster ${c.bold(name)} (${r.drainedTasks} task(s) moved)`);
      });
    });

  cluster
    .command('destroy <name>')
    .description('remove the edge proxy and network, every node leaves the swarm, the cluster is forgotten')
    .option('-y, --yes', 'do not ask for the typed confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareDestroyCluster(ctx, name);
        if (!o.yes) await confirmByName(`Destroy cluster '${name}'`, name, `pass -y/--yes to destroy '${name}'`);
        const r = await runPlanCli(ctx, plan, o.json);
        if (o.json) return;
        success(`destroyed cluster ${c.bold(name)}: ${r.left.length} node(s) left the swarm`);
        if (r.unreachable.length) {
          process.stdout.write(`  unreachable (run 'docker swarm leave --force' there): ${r.unreachable.join(', ')}\n`);
        }
      });
    });
}
