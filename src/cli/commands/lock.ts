import type { Command } from 'commander';
import { breakLock, isStale, listLocks } from '../../adapters/jobs/locks.js';
import { InfraktError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import { breakRemoteLock, listRemoteLocks } from '../../services/remote-lock.js';
import { getServerRow } from '../../services/servers.js';
import { type CliCtx, withCtx } from '../context.js';
import { c, dash, printJson, printTable, success } from '../output.js';

const STATE: Record<string, string> = { alive: 'running', dead: 'gone (stale)', unknown: 'other host' };

async function onServer<T>(ctx: CliCtx, name: string, fn: (ex: Executor, root: string) => Promise<T>): Promise<T> {
  const server = await getServerRow(ctx, name);
  const ex = await ctx.connect(server);
  try {
    return await fn(ex, server.root_dir);
  } finally {
    await ex.close();
  }
}

export function registerLockCommands(lock: Command): void {
  lock
    .command('list')
    .description('list held locks (local store; --server for the locks on a server)')
    .option('--server <server>', 'list the locks held on this server instead')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        if (o.server) {
          const locks = await onServer(ctx, o.server, (ex, root) => listRemoteLocks(ex, { root }));
          if (o.json) return printJson(locks);
          return printTable(
            ['NAME', 'HOLDER', 'SINCE', 'JOB'],
            locks.map((l) => [l.name, l.owner.holder, dash(l.owner.since), dash(l.owner.jobId)]),
            `no locks held on ${o.server}`,
          );
        }
        const locks = listLocks(ctx.store.raw);
        if (o.json) return printJson(locks);
        printTable(
          ['NAME', 'HOLDER', 'SINCE', 'JOB', 'HOLDER PROCESS'],
          locks.map((l) => [l.name, l.holder, l.acquiredAt, dash(l.jobId), STATE[l.holderState] ?? l.holderState]),
          'no locks held',
        );
      });
    });

  lock
    .command('break <name>')
    .description('remove a lock whose holder is gone (the holder is not stopped: make sure it is not running)')
    .option('--server <server>', 'break the lock on this server instead of the local one')
    .option('--force', 'break a local lock even though its holder process is still running')
    .option('--json', 'print what was removed as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        if (!o.server && !o.force) {
          const held = listLocks(ctx.store.raw).find((l) => l.name === name);
          if (held?.holderState === 'alive' && !isStale(held)) {
            throw new InfraktError('CONFLICT', `lock ${name} is held by a running process: ${held.holder}`, {
              hint: `cancel its job instead (infrakt job cancel ${held.jobId ?? '<id>'}), or pass --force`,
            });
          }
        }
        if (o.server) {
          const owner = await onServer(ctx, o.server, (ex, root) => breakRemoteLock(ex, { root, name }));
          if (o.json) return printJson({ broken: name, server: o.server, owner });
          return success(`broke lock ${c.bold(name)} on ${o.server} (held by ${owner.holder} since ${owner.since})`);
        }
        const removed = breakLock(ctx.store.raw, name);
        if (o.json) return printJson({ broken: name, lock: removed });
        success(`broke lock ${c.bold(name)} (held by ${removed.holder} since ${removed.acquiredAt})`);
      });
    });
}
