import type { ServerRow } from '../../adapters/store/schema.js';
import * as restic from '../../core/commands/restic.js';
import { parseBackupSummary, parseForget, parseLs } from '../../core/commands/restic-output.js';
import { InfraktError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import { describeRetention, type Retention } from '../../core/schemas/backup-target.js';
import type { Ctx } from '../shared/context.js';
import { ensureRepository, openSession, type Repo, type ResticSession, resticError } from './session.js';

export interface PushResult {
  target: string | null;
  snapshotId: string;
  /** Bytes restic added to the repository (after deduplication and compression). */
  dataAdded: number;
  bytesProcessed: number;
  /** Snapshots removed by retention. */
  forgotten: string[];
  ms: number;
}

export interface PushInput {
  kind: 'db' | 'app';
  name: string;
  paths: readonly string[];
  /** Expected size of each path that is a file (checked in the new snapshot). */
  sizes?: Readonly<Record<string, number>>;
  retention?: Retention | null;
  /** restic reads the paths as root (docker volumes). */
  root?: boolean;
  /** Runs just before `restic backup` and is undone right after (pausing containers). */
  around?: { before(): Promise<string>; after(): Promise<void> };
}

/** Opens a repository on the server as a job step (credentials delivered, SFTP host key pinned, repo created). */
export async function openRepoStep(
  ctx: Ctx,
  job: JobContext,
  ex: Executor,
  server: ServerRow,
  repo: Repo,
  o: { create?: boolean; root?: boolean } = {},
): Promise<ResticSession> {
  const session = await job.step(`open ${repo.target ? `target ${repo.target}` : 'local repository'}`, async (s) => {
    const x = await openSession(ctx, ex, server, repo, (l) => s.log(l));
    try {
      if (o.create === false) {
        await x.checked(restic.catConfig(), 'opening the repository', { signal: job.signal, root: o.root });
        s.detail(repo.label);
      } else {
        const created = await ensureRepository(x, { signal: job.signal, root: o.root });
        s.detail(`${repo.label}${created ? ': initialised a new repository' : ''}`);
      }
      return x;
    } catch (e) {
      await x.close();
      throw e;
    }
  });
  return session;
}

/**
 * Backs `paths` up into an open repository as one snapshot tagged `infrakt` and `<kind>:<name>` (host = the server
 * name), checks the snapshot lists every path (files at their expected size), then applies retention.
 */
export async function pushSnapshot(
  job: JobContext,
  server: ServerRow,
  session: ResticSession,
  i: PushInput,
): Promise<PushResult> {
  const t0 = Date.now();
  const where = session.repo.target ? `target ${session.repo.target}` : 'local repository';
  const tag = restic.subjectTag(i.kind, i.name);
  const summary = await job.step(`push to ${where}`, async (s) => {
    const pausedFor = await i.around?.before();
    if (pausedFor) s.log(pausedFor);
    let r: Awaited<ReturnType<ResticSession['run']>>;
    try {
      r = await session.run(restic.backup(i.paths, { host: server.name, tags: ['infrakt', tag] }), {
        signal: job.signal,
        root: i.root,
      });
    } finally {
      await i.around?.after();
    }
    s.exitCode(r.exitCode);
    const sum = parseBackupSummary(r.stdout);
    if (r.exitCode !== 0 || !sum) {
      throw resticError(session.repo, `backup to ${where}`, r);
    }
    s.detail(`snapshot ${sum.snapshotId}, ${sum.bytesProcessed} bytes read, ${sum.dataAdded} bytes added`);
    return sum;
  });
  await job.step('check snapshot', async (s) => {
    const r = await session.checked(restic.ls(summary.snapshotId), 'listing the new snapshot', {
      signal: job.signal,
      root: i.root,
    });
    const nodes = new Map(parseLs(r.stdout).map((n) => [n.path, n]));
    for (const p of i.paths) {
      const n = nodes.get(p);
      const want = i.sizes?.[p];
      if (!n || (want !== undefined && (n.type !== 'file' || n.size !== want)))
        throw new InfraktError(
          'STATE',
          `snapshot ${summary.snapshotId} on ${where} does not hold ${p}${want !== undefined ? ` (${want} bytes)` : ''}`,
          { hint: 'the backup is not trusted; see the job log and run: infrakt backup-target verify' },
        );
    }
    s.detail(`${i.paths.length} path(s) present${i.sizes ? ', sizes match' : ''}`);
  });
  let forgotten: string[] = [];
  if (i.retention) {
    const retention = i.retention;
    forgotten = await job.step('retention', async (s) => {
      const r = await session.checked(restic.forget(retention, { host: server.name, tag }), 'applying retention', {
        signal: job.signal,
        root: i.root,
      });
      const { kept, removed } = parseForget(r.stdout);
      s.detail(`${describeRetention(retention)}: kept ${kept.length}, removed ${removed.length}`);
      return removed;
    });
  } else job.skip('retention', 'no --keep-daily/--keep-weekly/--keep-monthly given: every snapshot is kept');
  return {
    target: session.repo.target,
    snapshotId: summary.snapshotId,
    dataAdded: summary.dataAdded,
    bytesProcessed: summary.bytesProcessed,
    forgotten,
    ms: Date.now() - t0,
  };
}
