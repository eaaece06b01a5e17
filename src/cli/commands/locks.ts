import type { Command } from 'commander';
import { breakLocalLock, breakServerLock, listLocalLocks, listServerLocks } from '../../services/system/locks.js';
import { withCtx } from '../context.js';
import { c, dash, printJson, printTable, success } from '../output.js';

const STATE: Record<string, string> = { alive: 'running', dead: 'gone (stale)', unknown: 'other host' };

export function registerLockCommands(lock: Command): void {
  lock
    .command('list')
    .description('list held locks (local store; --server for the locks on a server)')
    .option('--server <server>', 'list the locks held on this server instead')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        if (o.server) {
          const locks = await listServerLocks(ctx, o.server);
          if (o.json) return printJson(locks);
          return printTable(
            ['NAME', 'HOLDER', 'SINCE', 'JOB'],
            locks.map((l) => [l.name, l.owner.holder, dash(l.owner.since), dash(l.owner.jobId)]),
            `no locks held on ${o.server}`,
          );
        }
        const locks = await listLocalLocks(ctx);
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
        if (o.server) {
          const owner = await breakServerLock(ctx, o.server, name);
          if (o.json) return printJson({ broken: name, server: o.server, owner });
          return success(`broke lock ${c.bold(name)} on ${o.server} (held by ${owner.holder} since ${owner.since})`);
        }
        const removed = await breakLocalLock(ctx, name, { force: o.force });
        if (o.json) return printJson({ broken: name, lock: removed });
        success(`broke lock ${c.bold(name)} (held by ${removed.holder} since ${removed.acquiredAt})`);
      });
    });
}
