import type { Command } from 'commander';
import type { EdgeControlView, RelayView } from '../../core/schemas/views/edge.js';
import { addRelay, listRelays, removeRelay, showRelay } from '../../services/edge/relays.js';
import { setupEdgeControl, showEdgeControl } from '../../services/edge/setup.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { c, info, printJson, printTable, success } from '../output.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function printControl(v: EdgeControlView): void {
  const row = (k: string, val: string) => process.stdout.write(`${c.dim(k.padEnd(11))}${val}\n`);
  row('endpoint', `${v.endpoint.host}:${v.endpoint.port} (what devices dial)`);
  for (const k of v.hostKeys) row('host key', `${k.type} ${k.fingerprint}`);
  row('ports', `${v.ports.min}-${v.ports.max}`);
  row('devices', String(v.devices));
  row('keys file', v.sshd.keysFile);
  process.stdout.write(`\n${v.sshd.instructions}`);
}

function printRelay(v: RelayView): void {
  const row = (k: string, val: string) => process.stdout.write(`${c.dim(k.padEnd(11))}${val}\n`);
  row('relay', `${v.name} (${v.user}@${v.host}:${v.port})`);
  row('host key', v.hostKeyFingerprint);
  row('ports', `${v.ports.min}-${v.ports.max}`);
  row('devices', String(v.devices));
  row('keys file', v.sshd.keysFile);
  process.stdout.write(`\n${v.sshd.instructions}`);
}

export function registerEdgeCommands(edge: Command): void {
  edge
    .command('setup')
    .description('make this control host the meeting point of edge devices (prints the sshd set-up to apply)')
    .option('--endpoint <host[:port]>', 'host name or address (and sshd port) the devices dial')
    .option('--tunnel-user <user>', 'system user the devices log in as (create it as shown)')
    .option('--ports <A-B>', 'loopback ports the devices’ reverse forwards may use (default 20000-29999)')
    .option('--host-key-file <path>', "a public host key file of this machine's sshd (repeatable)", collect)
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        if (!o.endpoint) {
          const v = await showEdgeControl(ctx);
          if (o.json) return printJson(v);
          if (!v) return info('not set up yet: infrakt edge setup --endpoint <host the devices dial>[:port]');
          return printControl(v);
        }
        const v = await setupEdgeControl(ctx, {
          endpoint: o.endpoint,
          ...(o.tunnelUser ? { tunnelUser: o.tunnelUser } : {}),
          ...(o.ports ? { ports: o.ports } : {}),
          ...(o.hostKeyFile ? { hostKeyFiles: o.hostKeyFile } : {}),
        });
        if (o.json) return printJson(v);
        success(`edge devices will dial ${c.bold(`${v.endpoint.host}:${v.endpoint.port}`)}`);
        printControl(v);
      });
    });

  const relay = edge.command('relay').description('SSH servers you own where edge devices and infrakt meet');
  relay
    .command('add')
    .description('use an SSH server as a meeting point (pins its host key; creates its keys file)')
    .requiredOption('--name <name>', 'name of the relay')
    .requiredOption('--host <host>', 'its address or host name (devices and infrakt both dial it)')
    .option('--port <port>', 'its sshd port', intOption, 22)
    .option('--user <user>', "infrakt's login on the relay", 'root')
    .option('--key <path>', 'SSH private key for that login (default: ssh-agent)')
    .option('--fingerprint <SHA256:...>', "the relay's host key fingerprint (refuse anything else)")
    .option('--tunnel-user <user>', 'system user the devices log in as on the relay')
    .option('--keys-file <path>', 'dedicated authorized_keys on the relay (default ~/.infrakt-edge/authorized_keys)')
    .option('--ports <A-B>', 'loopback ports the reverse forwards may use on the relay')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const v = await addRelay(ctx, {
          name: o.name,
          host: o.host,
          port: o.port,
          user: o.user,
          ...(o.key ? { keyPath: o.key } : {}),
          ...(o.fingerprint ? { fingerprint: o.fingerprint } : {}),
          ...(o.tunnelUser ? { tunnelUser: o.tunnelUser } : {}),
          ...(o.keysFile ? { keysFile: o.keysFile } : {}),
          ...(o.ports ? { ports: o.ports } : {}),
        });
        if (o.json) return printJson(v);
        success(`relay ${c.bold(v.name)} added; host key ${v.hostKeyFingerprint} pinned`);
        printRelay(v);
      });
    });
  relay
    .command('list')
    .description('list relays')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rs = await listRelays(ctx);
        if (o.json) return printJson(rs);
        printTable(
          ['NAME', 'HOST', 'USER', 'HOST KEY', 'PORTS', 'DEVICES'],
          rs.map((r) => [
            r.name,
            `${r.host}:${r.port}`,
            r.user,
            r.hostKeyFingerprint,
            `${r.ports.min}-${r.ports.max}`,
            String(r.devices),
          ]),
          'no relays — add one with: infrakt edge relay add --name <name> --host <host>',
        );
      });
    });
  relay
    .command('show <name>')
    .description('show a relay and the sshd set-up it needs')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const v = await showRelay(ctx, name);
        if (o.json) return printJson(v);
        printRelay(v);
      });
    });
  relay
    .command('remove <name>')
    .description('forget a relay no edge server uses any more')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        await removeRelay(ctx, name);
        if (o.json) return printJson({ removed: name });
        success(`removed relay ${c.bold(name)}`);
      });
    });
}
