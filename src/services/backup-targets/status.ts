import { exec } from '../../core/cmd/index.js';
import { toInfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import type { OffsiteStatus } from '../../core/schemas/views/backups.js';
import type { DatabaseView } from '../../core/schemas/views/databases.js';
import type { Ctx } from '../shared/context.js';
import { lastRuns } from './runs.js';

export type { OffsiteStatus };

// One line per directory: its last-offsite.json (first line), or an empty line.
const READ = 'for d in "$@"; do head -n 1 "$d/last-offsite.json" 2>/dev/null || echo; done';

function parseServerStatus(line: string): OffsiteStatus | null {
  if (!line.trim()) return null;
  try {
    const j = JSON.parse(line) as {
      status?: string;
      finishedAt?: string;
      message?: string;
      snapshot?: string;
      target?: string;
    };
    return {
      status: j.status === 'ok' ? 'ok' : 'failed',
      target: j.target ?? null,
      at: j.finishedAt ?? null,
      snapshotId: j.snapshot || null,
      message: j.message || null,
      by: 'schedule',
    };
  } catch {
    return {
      status: 'unknown',
      target: null,
      at: null,
      snapshotId: null,
      message: 'unreadable status file',
      by: 'schedule',
    };
  }
}

/**
 * Last off-site result per database: the newer of what infrakt recorded (manual runs) and, for databases whose
 * schedule pushes to a target, what the schedule wrote on the server (one round trip per such server).
 */
export async function offsiteStatuses(ctx: Ctx, dbs: readonly DatabaseView[]): Promise<Map<number, OffsiteStatus>> {
  const out = new Map<number, OffsiteStatus>();
  if (dbs.length === 0) return out;
  const servers = await ctx.store.db
    .selectFrom('servers')
    .selectAll()
    .where('name', 'in', [...new Set(dbs.map((d) => d.server))])
    .execute();
  const byName = new Map(servers.map((s) => [s.name, s]));
  const runs = await lastRuns(
    ctx,
    'db',
    servers.map((s) => s.id),
  );
  for (const d of dbs) {
    const r = runs.get(`${byName.get(d.server)?.id}/${d.name}`)?.offsite;
    if (r)
      out.set(d.id, {
        status: r.status,
        target: r.target,
        at: r.at,
        snapshotId: r.snapshotId,
        message: r.message,
        by: 'infrakt',
      });
  }
  const scheduled = dbs.filter((d) => d.schedule?.target);
  const perServer = new Map<string, DatabaseView[]>();
  for (const d of scheduled) perServer.set(d.server, [...(perServer.get(d.server) ?? []), d]);
  await Promise.all(
    [...perServer].map(async ([name, list]) => {
      const server = byName.get(name)!;
      let ex: Executor | null = null;
      try {
        ex = await ctx.connect(server);
        const r = await runChecked(
          ex,
          exec('sh', '-c', READ, 'sh', ...list.map((d) => `${server.root_dir}/backups/${d.name}`)),
          {
            what: 'read off-site status',
          },
        );
        const lines = r.stdout.split('\n');
        for (const [i, d] of list.entries()) {
          const s = parseServerStatus(lines[i] ?? '');
          const mine = out.get(d.id);
          if (s && (!mine || (s.at ?? '') > (mine.at ?? ''))) out.set(d.id, s);
        }
      } catch (e) {
        for (const d of list)
          if (!out.has(d.id))
            out.set(d.id, {
              status: 'unknown',
              target: d.schedule?.target ?? null,
              at: null,
              snapshotId: null,
              message: toInfraktError(e).message,
              by: 'schedule',
            });
      } finally {
        if (ex) await ex.close().catch(() => undefined);
      }
    }),
  );
  return out;
}
