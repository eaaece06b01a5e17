import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { ERROR_CODES, type ErrorCode, InfraktError } from '../../core/errors.js';
import type { ServerStatusReport } from '../../core/schemas/views/servers.js';
import { relayOfServer } from '../../services/edge/devices.js';
import { execToSecret } from '../../services/secrets/exec-to-secret.js';
import {
  fleetExec,
  serverStatus,
  syncKnownHosts,
  testServer,
  trustServer,
} from '../../services/servers/server-remote.js';
import { getServerRow } from '../../services/servers/servers.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { c, ce, dash, printJson, printTable, success } from '../output.js';
import { reportProbe } from '../probe-report.js';
import { confirm } from '../prompt.js';

const GiB = 1024 ** 3;
const gib = (n: number) => `${(n / GiB).toFixed(1)}G`;
function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : `${m}m ${Math.floor(s % 60)}s`;
}

function printStatus(s: ServerStatusReport): void {
  const row = (k: string, v: string) => process.stdout.write(`${c.dim(k.padEnd(11))}${v}\n`);
  row('server', `${s.name} (${s.target})`);
  if (s.edge) {
    const via = s.edge.relay ? ` via relay ${s.edge.relay}` : '';
    row('edge', `${s.edge.tunnel}${via}, last seen ${s.edge.lastSeenAt ?? 'never'} (tunnel port ${s.edge.tunnelPort})`);
  }
  row('hostname', dash(s.hostname));
  row('system', dash(s.kernel));
  row('uptime', s.uptimeSeconds === null ? '-' : duration(s.uptimeSeconds));
  row('load', s.load ? `${s.load.m1} ${s.load.m5} ${s.load.m15}${s.cpus ? ` (${s.cpus} cpus)` : ''}` : '-');
  if (s.memory) {
    const pct = Math.round((s.memory.usedBytes / s.memory.totalBytes) * 100);
    row('memory', `${gib(s.memory.usedBytes)} / ${gib(s.memory.totalBytes)} used (${pct}%)`);
  } else row('memory', '-');
  for (const d of s.disks) row('disk', `${d.mount}: ${gib(d.usedBytes)} / ${gib(d.sizeBytes)} used (${d.usePercent}%)`);
  process.stdout.write('\n');
  if (s.containers === null) process.stdout.write(`${c.dim('containers')} -\n`);
  else
    printTable(
      ['CONTAINER', 'IMAGE', 'STATE', 'STATUS', 'PORTS'],
      s.containers.map((ct) => [ct.name, ct.image, ct.state, ct.status, dash(ct.ports)]),
      'no containers',
    );
  for (const n of s.notes) process.stdout.write(`${c.yellow('note:')} ${n}\n`);
}

export function registerServerRemoteCommands(server: Command): void {
  server
    .command('test <name>')
    .description('re-check the SSH connection and host key; records the status on the server')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => reportProbe(await testServer(ctx, name), o.json ? 'json' : 'human'));
    });

  server
    .command('trust <name>')
    .description('pin the host key the server presents now (after a reinstall); shows old and new')
    .option('--fingerprint <SHA256:...>', 'accept only this fingerprint (no prompt)')
    .option('-y, --yes', 'pin without asking')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const r = await trustServer(ctx, name, {
          fingerprint: o.fingerprint,
          confirm: async (previous, current) => {
            process.stderr.write(
              `${ce.dim('pinned:   ')} ${previous ?? '(none)'}\n${ce.dim('presented:')} ${current}\n`,
            );
            if (!o.yes) {
              await confirm(
                `Trust ${current} for ${name}? Check it out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the server)`,
                `verify the fingerprint, then pass --fingerprint ${current} (or -y/--yes)`,
              );
            }
          },
        });
        if (o.json) return printJson(r);
        success(
          r.changed
            ? `${c.bold(name)}: pinned ${r.current} (was ${r.previous ?? 'none'})`
            : `${c.bold(name)}: host key unchanged (${r.current})`,
        );
      });
    });

  server
    .command('status <name>')
    .description('live uptime, load, memory, disk and Docker containers (one round trip)')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const s = await serverStatus(ctx, name);
        if (o.json) return printJson(s);
        printStatus(s);
      });
    });

  server
    .command('ssh <name>')
    .description('interactive shell on the server with OpenSSH, checking the pinned host key')
    .allowExcessArguments(true)
    .argument('[command...]', 'run this instead of a shell')
    .action(async (name: string, command: string[]) => {
      const code = await withCtx(async (ctx) => {
        const row = await getServerRow(ctx, name);
        if (row.host === 'local')
          return runInteractive(process.env.SHELL || '/bin/sh', command.length ? ['-c', command.join(' ')] : []);
        if (!row.host_key) {
          throw new InfraktError('STATE', `server '${name}' has no pinned host key yet`, {
            hint: `run: infrakt server test ${name} (or infrakt server trust ${name})`,
          });
        }
        const relay = await relayOfServer(ctx, row.id);
        if (relay) {
          throw new InfraktError(
            'UNSUPPORTED',
            `server '${name}' is reached through relay ${relay}: server ssh cannot open it`,
            {
              hint: `run commands with: infrakt server exec --server ${name} -- <command>`,
            },
          );
        }
        await syncKnownHosts(ctx);
        const args = [
          '-o',
          `UserKnownHostsFile=${ctx.paths.knownHosts}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'GlobalKnownHostsFile=/dev/null',
          '-p',
          String(row.port),
          ...(row.key_path ? ['-i', row.key_path, '-o', 'IdentitiesOnly=yes'] : []),
          '-l',
          row.user,
          row.host,
          ...(command.length ? ['--', ...command] : []),
        ];
        return runInteractive('ssh', args);
      });
      // Pass OpenSSH's exit status through (the remote command's, or 255 for ssh errors).
      if (code !== 0) process.exit(code);
    });

  server
    .command('exec')
    .description('run a shell command on several servers in parallel (per-host output prefix, exit summary)')
    .option('--server <names>', 'comma-separated server names', (v: string) => v.split(',').filter(Boolean))
    .option('--all', 'every registered server')
    .option('--concurrency <n>', 'servers at a time', intOption, 32)
    .option('--timeout <seconds>', 'kill the command after this long on each server', intOption)
    .option('--json', 'print results as JSON')
    .option('--store-as-secret <name>', "store the command's output as this named secret instead of printing it")
    .argument('<command...>', 'the command (after --)')
    .action(async (command: string[], o) => {
      await withCtx(async (ctx) => {
        if (o.storeAsSecret !== undefined) {
          const r = await execToSecret(ctx, {
            servers: o.server ?? [],
            all: Boolean(o.all),
            command: command.join(' '),
            name: o.storeAsSecret,
            ...(o.timeout ? { timeoutMs: o.timeout * 1000 } : {}),
          });
          if (o.json) return printJson(r);
          return success(
            `stored the output of the command on ${r.server} as secret ${c.bold(r.secret)} (${r.bytes} bytes)`,
          );
        }
        const json = Boolean(o.json);
        const names: string[] = o.server ?? [];
        const width = Math.max(...(o.all ? [8] : names.map((n) => n.length)), 1);
        const results = await fleetExec(ctx, {
          ...(o.all ? { all: true } : { servers: names }),
          command: command.join(' '),
          concurrency: o.concurrency,
          ...(o.timeout ? { timeoutMs: o.timeout * 1000 } : {}),
          ...(json
            ? {}
            : {
                onLine: (host, stream, line) => {
                  const out = stream === 'stdout' ? process.stdout : process.stderr;
                  const col = stream === 'stdout' ? c : ce;
                  out.write(`${col.cyan(host.padEnd(width))} | ${line}\n`);
                },
              }),
        });
        const failed = results.filter((r) => r.exitCode !== 0);
        if (json) printJson(results);
        else {
          for (const r of failed) {
            const why = r.error ? `${r.error.code}: ${r.error.message}` : `exit ${r.exitCode}`;
            process.stderr.write(`${ce.red('✗')} ${r.server}: ${why}\n`);
            // What to do about it (a changed host key: how to accept the new one), as any single-server command says.
            if (r.error?.hint) process.stderr.write(`  ${ce.dim(`hint: ${r.error.hint}`)}\n`);
          }
          process.stderr.write(
            `${results.length - failed.length}/${results.length} servers ok${failed.length ? `, ${failed.length} failed` : ''}\n`,
          );
        }
        if (failed.length > 0) {
          // Every host failed with the same infrakt error (a changed host key, nothing reachable): that code and its
          // exit code, as a single-server command gives. Any host ok, mixed causes, or commands that exited
          // non-zero: COMMAND_FAILED.
          const codes = new Set(failed.map((r) => r.error?.code));
          const shared = failed.length === results.length && codes.size === 1 ? failed[0]?.error : undefined;
          const code = (ERROR_CODES as readonly string[]).includes(shared?.code ?? '')
            ? (shared?.code as ErrorCode)
            : 'COMMAND_FAILED';
          throw new InfraktError(
            code,
            `${failed.length} of ${results.length} servers failed${code !== 'COMMAND_FAILED' ? ` (${code})` : ''}`,
            { details: { failed: failed.map((r) => r.server) } },
          );
        }
      });
    });
}

function runInteractive(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit' });
    child.once('error', (e) =>
      reject(new InfraktError('UNSUPPORTED', `cannot start ${cmd}: ${e.message}`, { hint: 'install openssh-client' })),
    );
    child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
}
