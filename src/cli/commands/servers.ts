import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InfraktError } from '../../core/errors.js';
import { hostSchema, nameSchema } from '../../core/schemas/common.js';
import type { EdgeInfo } from '../../core/schemas/views/edge.js';
import { addEdgeServer } from '../../services/edge/devices.js';
import { addServer } from '../../services/servers/server-remote.js';
import { countApps, getServer, getServerRow, listServers, removeServer } from '../../services/servers/servers.js';
import { askMissing, canAsk } from '../ask-missing.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { c, dash, info, printJson, printTable, status, success } from '../output.js';
import { reportProbe } from '../probe-report.js';
import { confirm } from '../prompt.js';

const NAME_QUESTION = { flag: '--name <name>', question: 'Server name', schema: nameSchema } as const;

function tunnelText(e: EdgeInfo): string {
  const seen = e.lastSeenAt ? `last seen ${e.lastSeenAt}` : 'never seen';
  const via = e.relay ? ` via relay ${e.relay}` : '';
  return `${e.tunnel === 'connected' ? c.green('connected') : e.tunnel === 'waiting' ? c.yellow('waiting') : c.red('unknown')}${via}, ${seen}`;
}

interface AddEdgeOptions {
  name: string;
  host?: string;
  relay?: string;
  user: string;
  port?: number;
  devicePort: number;
  key?: string;
  provider?: string;
  root: string;
  fingerprint?: string;
  bootstrapFile?: string;
  json?: boolean;
}

/** `server add --edge`: registers the device and hands over its bootstrap script (stdout or a new 0600 file). */
async function addEdge(o: AddEdgeOptions): Promise<void> {
  if (o.host || o.fingerprint) {
    throw new InfraktError('VALIDATION', '--edge takes no --host or --fingerprint', {
      hint: 'infrakt generates and pins the device host key itself; the device dials out, so it needs no address',
    });
  }
  await withCtx(async (ctx) => {
    const r = await addEdgeServer(ctx, {
      name: o.name,
      user: o.user,
      devicePort: o.devicePort,
      root: o.root,
      ...(o.relay ? { relay: o.relay } : {}),
      ...(o.key ? { keyPath: o.key } : {}),
      ...(o.provider ? { provider: o.provider } : {}),
    });
    const script = r.bootstrap.reveal();
    if (o.bootstrapFile) {
      try {
        // 'wx': never overwrite a file (it could be someone else's); the script holds private keys, hence 0600.
        writeFileSync(o.bootstrapFile, script, { mode: 0o600, flag: 'wx' });
      } catch (e) {
        await removeServer(ctx, r.server.name, { force: true });
        throw new InfraktError('VALIDATION', `cannot write ${o.bootstrapFile}: ${(e as Error).message}`, {
          hint: 'name a new file, or leave out --bootstrap-file to print the script; the server was not added',
        });
      }
    }
    if (o.json) {
      return printJson({
        ...r.server,
        hostKeyFingerprint: r.hostKeyFingerprint,
        tunnelPort: r.tunnelPort,
        loginKeyIncluded: r.loginKeyIncluded,
        ...(o.bootstrapFile ? { bootstrapFile: o.bootstrapFile } : { bootstrap: script }),
      });
    }
    if (!o.bootstrapFile) process.stdout.write(script);
    const to = o.bootstrapFile ? `written to ${o.bootstrapFile}` : 'printed above';
    info(
      `registered edge server ${r.server.name}: tunnel port ${r.tunnelPort}, host key ${r.hostKeyFingerprint} pinned`,
    );
    info(`bootstrap script ${to}: copy it to the device and run it once as root (sudo sh <file>), then delete it`);
    if (!r.loginKeyIncluded) {
      info(`note: no public key of infrakt's login was found; authorise one for ${o.user} on the device yourself`);
    }
    info(`then check: infrakt server status ${r.server.name}`);
  });
}

export function registerServerCommands(server: Command): void {
  server
    .command('add')
    .description('register a server, test the connection and pin its host key (trust on first use)')
    .option('--name <name>', 'unique name for the server (required; asked for on a terminal)')
    .option(
      '--host <host>',
      'IP address or host name (`local` for this machine; asked for on a terminal); not with --edge',
    )
    .option('--user <user>', 'SSH user', 'root')
    .option('--port <port>', 'SSH port', intOption, 22)
    .option('--key <path>', 'SSH private key file (default: ssh-agent)')
    .option('--provider <label>', 'provider label, e.g. hetzner')
    .option('--root <dir>', 'remote state root on the server', '/opt/infrakt')
    .option('--fingerprint <SHA256:...>', 'expected host key fingerprint (refuse anything else)')
    .option('--edge', 'a device behind NAT that dials out: prints its bootstrap script (see infrakt edge setup)')
    .option('--relay <name>', 'with --edge: the device meets infrakt at this relay (infrakt edge relay add)')
    .option('--device-port <port>', "with --edge: the device's own sshd port", intOption, 22)
    .option(
      '--bootstrap-file <path>',
      'with --edge: write the bootstrap script to this new file (0600) instead of stdout',
    )
    .option('--json', 'print the server as JSON')
    .action(async (o) => {
      if (o.edge) {
        o.name = (await askMissing({ name: o.name }, { name: NAME_QUESTION }, o)).name;
        return addEdge(o);
      }
      if (!o.host && o.name && !canAsk(o))
        throw new InfraktError('VALIDATION', 'server add needs --host', { hint: 'or --edge for a device behind NAT' });
      Object.assign(
        o,
        await askMissing(
          { name: o.name, host: o.host },
          {
            name: NAME_QUESTION,
            host: { flag: '--host <host>', question: 'Host (IP address or name)', schema: hostSchema },
          },
          o,
        ),
      );
      await withCtx(async (ctx) => {
        // Registered either way; the probe result (and its status) is reported after.
        const { server: view, probe } = await addServer(ctx, {
          name: o.name,
          host: o.host,
          user: o.user,
          port: o.port,
          keyPath: o.key,
          provider: o.provider,
          root: o.root,
          fingerprint: o.fingerprint,
        });
        if (o.json) printJson({ ...view, probe });
        else success(`registered server ${c.bold(view.name)} (${view.user}@${view.host}:${view.port})`);
        if (probe.status !== 'ok' && !o.json) {
          info(
            `server ${view.name} is registered with status ${view.status}; re-check with: infrakt server test ${view.name}`,
          );
        }
        reportProbe(probe, o.json ? 'quiet' : 'human');
      });
    });

  server
    .command('list')
    .description('list registered servers with status, host and app count')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const servers = await listServers(ctx);
        if (o.json) return printJson(servers);
        // The EDGE column only when there is an edge server to show it for.
        const edge = servers.some((s) => s.edge);
        printTable(
          ['NAME', 'HOST', 'USER', 'PORT', 'STATUS', 'APPS', 'PROVIDER', ...(edge ? ['EDGE'] : [])],
          servers.map((s) => [
            s.name,
            s.host,
            s.user,
            String(s.port),
            status(s.status),
            String(s.appCount),
            dash(s.provider),
            ...(edge ? [s.edge ? `${s.edge.tunnel}${s.edge.relay ? ` (relay ${s.edge.relay})` : ''}` : '-'] : []),
          ]),
          'no servers yet — add one with: infrakt server add --name <name> --host <host>',
        );
      });
    });

  server
    .command('show <name>')
    .description('show one server')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const s = await getServer(ctx, name);
        if (o.json) return printJson(s);
        const rows: [string, string][] = [
          ['name', s.name],
          ['host', `${s.user}@${s.host}:${s.port}`],
          ['status', status(s.status)],
          ['root', s.root],
          ['host key', dash(s.hostKeyFingerprint)],
          ['key', dash(s.keyPath)],
          ['provider', dash(s.provider)],
          ['apps', String(s.appCount)],
          ['last check', dash(s.lastCheckedAt)],
          ['last error', dash(s.lastError)],
          ...(s.edge ? ([['edge', tunnelText(s.edge)]] as [string, string][]) : []),
        ];
        for (const [k, v] of rows) process.stdout.write(`${c.dim(k.padEnd(11))}${v}\n`);
      });
    });

  server
    .command('remove <name>')
    .description('forget a server locally (asks when it has apps; nothing on the server changes)')
    .option('--force', 'skip the confirmation and forget its apps too')
    .option('-y, --yes', 'same as --force: answer yes to the confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const row = await getServerRow(ctx, name);
        const apps = await countApps(ctx, row.id);
        let force = Boolean(o.force || o.yes);
        if (apps > 0 && !force) {
          await confirm(
            `Server '${name}' has ${apps} app(s). Remove it and forget them?`,
            `pass -y/--yes (or --force) to remove '${name}' and forget its ${apps} app(s)`,
          );
          force = true;
        }
        const res = await removeServer(ctx, name, { force });
        if (o.json) {
          const edge = res.edgeKeyRevokedAt
            ? { edgeKeyRevokedAt: res.edgeKeyRevokedAt, edgeSessionEnded: res.edgeSessionEnded }
            : {};
          return printJson({ removed: name, apps: res.apps, ...edge });
        }
        success(`removed server ${c.bold(name)}${res.apps ? ` and forgot ${res.apps} app(s)` : ''}`);
        if (res.edgeKeyRevokedAt) success(`revoked its tunnel key on the ${res.edgeKeyRevokedAt}`);
        if (res.edgeSessionEnded === true) success('closed its tunnel session that was still open');
        if (res.edgeSessionEnded === false) {
          info(
            `its tunnel session on the ${res.edgeKeyRevokedAt} is still open (no permission to end it): restart sshd there to close it now`,
          );
        }
      });
    });
}
