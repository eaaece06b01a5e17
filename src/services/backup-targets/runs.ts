import type { BackupRunRow } from '../../adapters/store/schema.js';
import type { BackupRunView } from '../../core/schemas/views/backups.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

export type { BackupRunView };

export const toRunView = (r: BackupRunRow): BackupRunView => ({
  target: r.target,
  status: r.status,
  snapshotId: r.snapshot_id,
  bytes: r.bytes,
  message: r.message,
  jobId: r.job_id,
  at: r.finished_at,
});

export interface NewRun {
  serverId: number;
  kind: 'db' | 'app';
  subject: string;
  target: string | null;
  status: 'ok' | 'failed';
  snapshotId?: string | null;
  bytes?: number | null;
  message?: string | null;
  jobId?: string | null;
  startedAt: string;
  finishedAt?: string;
}

export async function recordRun(ctx: Ctx, r: NewRun): Promise<void> {
  await ctx.store.db
    .insertInto('backup_runs')
    .values({
      server_id: r.serverId,
      subject_kind: r.kind,
      subject: r.subject,
      target: r.target,
      status: r.status,
      snapshot_id: r.snapshotId ?? null,
      bytes: r.bytes ?? null,
      message: r.message ?? null,
      job_id: r.jobId ?? null,
      started_at: r.startedAt,
      finished_at: r.finishedAt ?? nowIso(ctx),
    })
    .execute();
}

export interface SubjectRuns {
  /** Last run to a target (off the server). */
  offsite: BackupRunView | null;
  /** Last run into the server's local repository (apps). */
  local: BackupRunView | null;
}

/** The last local and off-site run of each subject (key `<serverId>/<name>`), in one query. */
export async function lastRuns(
  ctx: Ctx,
  kind: 'db' | 'app',
  serverIds: readonly number[],
): Promise<Map<string, SubjectRuns>> {
  const out = new Map<string, SubjectRuns>();
  if (serverIds.length === 0) return out;
  const rows = await ctx.store.db
    .selectFrom('backup_runs')
    .selectAll()
    .where('subject_kind', '=', kind)
    .where('server_id', 'in', [...serverIds])
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const key = `${r.server_id}/${r.subject}`;
    const cur = out.get(key) ?? { offsite: null, local: null };
    if (r.target === null) cur.local = toRunView(r);
    else cur.offsite = toRunView(r);
    out.set(key, cur);
  }
  return out;
}

/** Runs of one subject, newest first (for `app backups` and the dashboard). */
export async function runsOf(ctx: Ctx, serverId: number, kind: 'db' | 'app', subject: string, limit = 50) {
  const rows = await ctx.store.db
    .selectFrom('backup_runs')
    .selectAll()
    .where('server_id', '=', serverId)
    .where('subject_kind', '=', kind)
    .where('subject', '=', subject)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toRunView);
}

/** The target a snapshot was pushed to (by id or unique prefix), from the recorded runs. */
export async function targetOfSnapshot(
  ctx: Ctx,
  serverId: number,
  kind: 'db' | 'app',
  subject: string,
  snapshot: string,
): Promise<{ found: boolean; target: string | null }> {
  const rows = await ctx.store.db
    .selectFrom('backup_runs')
    .select(['target', 'snapshot_id'])
    .where('server_id', '=', serverId)
    .where('subject_kind', '=', kind)
    .where('subject', '=', subject)
    .where('status', '=', 'ok')
    .execute();
  const hit = rows.find(
    (r) => r.snapshot_id && (r.snapshot_id.startsWith(snapshot) || snapshot.startsWith(r.snapshot_id)),
  );
  return hit ? { found: true, target: hit.target } : { found: false, target: null };
}
