import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InfraktError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';
import { prepareTestTarget, prepareVerifyTarget } from '../../services/backup-targets/target-ops.js';
import {
  addTarget,
  getTarget,
  listTargets,
  removeTarget,
  revealRepoPassword,
} from '../../services/backup-targets/targets.js';
import { withCtx } from '../context.js';
import { c, dash, printJson, printTable, status, success } from '../output.js';
import { runPlanCli } from '../progress.js';
import { confirm } from '../prompt.js';

function readLocal(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InfraktError(
      'VALIDATION',
      `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

/** A secret from stdin: piped (all of it, one trailing newline dropped) or typed at a TTY without echo. */
export async function readSecretFromStdin(prompt: string): Promise<Secret> {
  if (process.stdin.isTTY) {
    process.stderr.write(prompt);
    process.stdin.setRawMode(true);
    let value = '';
    try {
      read: for await (const chunk of process.stdin) {
        for (const ch of String(chunk)) {
          if (ch === '\u0003') throw new InfraktError('ABORTED', 'aborted, nothing changed');
          if (ch === '\r' || ch === '\n') break read;
          value = ch === '\u007f' ? value.slice(0, -1) : value + ch;
        }
      }
    } finally {
      process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stderr.write('\n');
    }
    return new Secret(value);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  return new Secret(
    Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, ''),
  );
}

const RECOVERY = (name: string) =>
  `  The repository password was generated and is stored encrypted in infrakt's state. Without it nobody can read\n` +
  `  these backups: keep ~/.infrakt/infrakt.db and master.key backed up, or copy the password to your password\n` +
  `  manager now with: infrakt backup-target password ${name}\n` +
  `  (with it, restic alone restores everything: restic -r <repository> snapshots)\n`;

export function registerBackupTargetCommands(bt: Command): void {
  bt.command('add <name>')
    .description(
      'add an off-site restic target: --sftp user@host:/path [--key PATH] or --s3 https://endpoint/bucket/prefix',
    )
    .option('--sftp <spec>', 'SFTP target, user@host[:port]:/path')
    .option('--key <path>', "private key for the SFTP login (default: the server's own SSH identity)")
    .option('--fingerprint <sha256>', 'SHA256:… the SFTP host key must have (default: pinned on first use)')
    .option('--s3 <url>', 'S3-compatible bucket, https://endpoint/bucket[/prefix] (path-style)')
    .option('--access-key-id <id>', 'S3 access key id (the secret access key is read from stdin)')
    .option('--region <region>', 'S3 region (default: the endpoint decides)')
    .option('--cacert <path>', 'PEM CA certificate for the S3 endpoint (self-hosted, private CA)')
    .option('--allow-http', 'allow an http:// S3 endpoint (data is still encrypted by restic)')
    .option('--repo-password-file <path>', 'adopt an existing repository: file holding its password')
    .option('--json', 'print the target as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const secretAccessKey = o.s3 ? await readSecretFromStdin('secret access key: ') : undefined;
        const r = await addTarget(ctx, {
          name,
          sftp: o.sftp,
          s3: o.s3,
          fingerprint: o.fingerprint,
          accessKeyId: o.accessKeyId,
          region: o.region,
          allowHttp: Boolean(o.allowHttp),
          ...(secretAccessKey ? { secretAccessKey } : {}),
          ...(o.key ? { sshKey: new Secret(readLocal(o.key, 'key file')) } : {}),
          ...(o.cacert ? { caCert: readLocal(o.cacert, 'CA certificate') } : {}),
          ...(o.repoPasswordFile
            ? { repoPassword: new Secret(readLocal(o.repoPasswordFile, 'password file').replace(/\r?\n$/, '')) }
            : {}),
        });
        if (o.json) return printJson(r);
        success(`added backup target ${c.bold(r.target.name)}: ${r.target.location}`);
        if (r.passwordGenerated) process.stdout.write(RECOVERY(r.target.name));
        else process.stdout.write('  using the repository password you gave (stored encrypted)\n');
        process.stdout.write(
          `  check it from a server with: infrakt backup-target test ${r.target.name} --server <server>\n`,
        );
      });
    });

  bt.command('list')
    .description('list backup targets with their last test/verify result')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const all = await listTargets(ctx);
        if (o.json) return printJson(all);
        printTable(
          ['NAME', 'LOCATION', 'HOST KEY / ACCESS KEY', 'LAST CHECK'],
          all.map((t) => [
            t.name,
            t.location,
            dash(t.hostKeyFingerprint ?? t.accessKeyId ?? (t.kind === 'sftp' ? 'not pinned yet' : null)),
            t.lastCheck
              ? `${t.lastCheck.kind} ${status(t.lastCheck.status)} ${t.lastCheck.at}${t.lastCheck.status === 'failed' ? ` (${t.lastCheck.message})` : ''}`
              : '-',
          ]),
          'no backup targets yet — add one with: infrakt backup-target add <name> --sftp user@host:/path',
        );
      });
    });

  bt.command('show <name>')
    .description('show one backup target')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const t = await getTarget(ctx, name);
        if (o.json) return printJson(t);
        for (const [k, v] of Object.entries({
          name: t.name,
          location: t.location,
          'host key': t.hostKeyFingerprint,
          'access key': t.accessKeyId,
          'last check': t.lastCheck
            ? `${t.lastCheck.kind} ${t.lastCheck.status} at ${t.lastCheck.at}: ${t.lastCheck.message}`
            : null,
          created: t.createdAt,
        }))
          if (v !== null) process.stdout.write(`${c.dim(k.padEnd(11))}${v}\n`);
      });
    });

  bt.command('test <name>')
    .description('from a server: pin the SFTP host key, open (or create) the repository, count its snapshots')
    .option('--server <server>', 'server that reaches the target (default: the only one)')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const r = await runPlanCli(ctx, await prepareTestTarget(ctx, name, { server: o.server }), o.json);
        if (!o.json)
          process.stdout.write(
            `  ${r.target} reachable from ${r.server}: ${r.snapshots} snapshot(s)${r.hostKeyFingerprint ? `, host key ${r.hostKeyFingerprint}` : ''}\n`,
          );
      });
    });

  bt.command('verify <name>')
    .description('restic check of the repository with a bounded read of its data')
    .option('--server <server>', 'server that reaches the target (default: the only one)')
    .option('--read-data-subset <subset>', 'how much data to read and check: 10%, 1/5 or a size like 2G', '10%')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareVerifyTarget(ctx, name, { server: o.server, readDataSubset: o.readDataSubset });
        const r = await runPlanCli(ctx, plan, o.json);
        if (!o.json)
          process.stdout.write(`  no errors in ${r.target} (read ${r.readDataSubset} of the data, ${r.ms} ms)\n`);
      });
    });

  bt.command('password <name>')
    .description('print the repository password (for restoring with restic alone); keep it somewhere safe')
    .action(async (name: string) => {
      await withCtx(async (ctx) => {
        process.stdout.write(`${(await revealRepoPassword(ctx, name)).reveal()}\n`);
      });
    });

  bt.command('remove <name>')
    .description('forget a target locally (the repository and its snapshots stay where they are)')
    .option('--force', 'do not ask for confirmation')
    .option('-y, --yes', 'same as --force: answer yes to the confirmation')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        await getTarget(ctx, name);
        if (!o.force && !o.yes)
          await confirm(
            `Forget backup target ${name}? Its repository stays, but infrakt forgets its password`,
            'pass -y/--yes (or --force) to remove it without confirmation',
          );
        const r = await removeTarget(ctx, name);
        success(`removed backup target ${r.name}; the repository at ${r.location} was not touched`);
      });
    });
}
