import { randomBytes } from 'node:crypto';
import { and, exec } from '../../core/cmd/index.js';
import { BACKUP_FILE_RE } from '../../core/commands/db-backup.js';
import * as fs from '../../core/commands/fs.js';
import * as restic from '../../core/commands/restic.js';
import { parseLs, parseSnapshots, type Snapshot } from '../../core/commands/restic-output.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import { runChecked } from '../../core/executor.js';
import { dbLayout } from '../../core/plans/db-compose.js';
import type { Retention } from '../../core/schemas/backup-target.js';
import type { DbSnapshotList, DbSnapshotView } from '../../core/schemas/views/backups.js';
import { type BackupResult, prepareBackup, prepareRestore } from '../databases/backups.js';
import { resolveDatabase } from '../databases/model.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { withServer } from '../shared/server-session.js';
import { openRepoStep, type PushResult, pushSnapshot } from './push.js';
import { recordRun } from './runs.js';
import { openSession, resticError, targetRepo } from './session.js';
import { resolveTarget } from './targets.js';

export interface OffsiteBackupResult extends BackupResult {
  offsite: PushResult;
}

/**
 * `db backup <name> --target T`: the verified local backup (the same script as always), then the dump and its
 * checksum sidecar pushed to the target as one restic snapshot, the snapshot checked, retention applied. The run's
 * result is recorded (shown by `db list`), failures too.
 */
export async function prepareOffsiteBackup(
  ctx: Ctx,
  name: string,
  opts: { server?: string; keep?: number; target: string; retention?: Retention | null },
): Promise<JobPlan<OffsiteBackupResult>> {
  const local = await prepareBackup(ctx, name, { server: opts.server, keep: opts.keep });
  const target = await resolveTarget(ctx, opts.target);
  const { app, server } = await resolveDatabase(ctx, name, opts.server);
  const where = `target ${target.name}`;
  return {
    spec: {
      ...local.spec,
      params: { ...local.spec.params, target: target.name, retention: opts.retention ?? null },
      plannedSteps: [
        ...(local.spec.plannedSteps ?? []),
        'connect',
        `open ${where}`,
        `push to ${where}`,
        'check snapshot',
        'retention',
      ],
    },
    body: async (job) => {
      const startedAt = nowIso(ctx);
      const done = await local.body(job);
      const repo = targetRepo(target);
      job.addSecrets(repo.password, ...[repo.secretAccessKey, repo.sshKey].filter((s) => s !== null));
      try {
        // A second session: the local backup above closed its own (it is the same job, one step after another).
        return await withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
          const session = await openRepoStep(ctx, job, ex, server, repo);
          try {
            const offsite = await pushSnapshot(job, server, session, {
              kind: 'db',
              name: app.name,
              paths: [done.path, `${done.path}.json`],
              sizes: { [done.path]: done.size },
              retention: opts.retention ?? null,
            });
            await recordRun(ctx, {
              serverId: server.id,
              kind: 'db',
              subject: app.name,
              target: target.name,
              status: 'ok',
              snapshotId: offsite.snapshotId,
              bytes: done.size,
              message: done.file,
              jobId: job.id,
              startedAt,
            });
            await audit(ctx, 'db.backup.offsite', `${server.name}/${app.name}`, {
              target: target.name,
              snapshot: offsite.snapshotId,
            });
            return { ...done, offsite };
          } finally {
            await session.close();
          }
        });
      } catch (e) {
        const err = toInfraktError(e);
        await recordRun(ctx, {
          serverId: server.id,
          kind: 'db',
          subject: app.name,
          target: target.name,
          status: 'failed',
          message: err.message,
          jobId: job.id,
          startedAt,
        });
        throw err;
      }
    },
  };
}

export type { DbSnapshotView };

const dumpIn = (s: Snapshot): string | null =>
  s.paths.map((p) => p.split('/').at(-1) ?? '').find((f) => BACKUP_FILE_RE.test(f)) ?? null;

/** `db backups <name> --target T`: the database's snapshots on the target (every host), newest first. */
export async function listDbSnapshots(
  ctx: Ctx,
  name: string,
  opts: { server?: string; target: string },
): Promise<DbSnapshotList> {
  const { app, server } = await resolveDatabase(ctx, name, opts.server);
  const target = await resolveTarget(ctx, opts.target);
  const ex = await ctx.connect(server);
  try {
    const session = await openSession(ctx, ex, server, targetRepo(target), () => undefined);
    try {
      const r = await session.checked(
        restic.snapshots({ tag: restic.subjectTag('db', app.name) }),
        'listing snapshots',
      );
      const snapshots = parseSnapshots(r.stdout)
        .reverse()
        .map((s) => ({ id: s.id, shortId: s.shortId, time: s.time, host: s.host, file: dumpIn(s) }));
      return { database: app.name, target: target.name, snapshots };
    } finally {
      await session.close();
    }
  } finally {
    await ex.close();
  }
}

/**
 * `db restore <name> --from-target T [--snapshot ID]`: fetches the dump and its sidecar from the snapshot (the
 * newest of this database from this server unless one is named) into the database's backups dir, then runs the
 * ordinary restore, which verifies size, sha256 and the engine's own check before touching the database.
 */
export async function prepareRestoreFromTarget(
  ctx: Ctx,
  name: string,
  opts: { server?: string; target: string; snapshot?: string },
): Promise<JobPlan<{ database: string; backup: string; snapshot: string; target: string; ms: number }>> {
  const { app, server, settings } = await resolveDatabase(ctx, name, opts.server);
  const target = await resolveTarget(ctx, opts.target);
  if (opts.snapshot !== undefined && !/^[0-9a-f]{8,64}$/.test(opts.snapshot))
    throw new InfraktError('VALIDATION', `'${opts.snapshot}' is not a snapshot id`, {
      hint: `list snapshots with: infrakt db backups ${app.name} --target ${target.name}`,
    });
  const l = dbLayout(server.root_dir, app.name);
  return {
    spec: appJobSpec(app, server, 'db.restore', {
      params: { database: app.name, target: target.name, snapshot: opts.snapshot ?? 'latest' },
      steps: [
        'connect',
        `open target ${target.name}`,
        'find snapshot',
        'fetch backup',
        'connect',
        'lock on server',
        'verify backup',
        'restore',
        'wait healthy',
      ],
    }),
    body: async (job) => {
      const t0 = Date.now();
      const repo = targetRepo(target);
      job.addSecrets(repo.password, ...[repo.secretAccessKey, repo.sshKey].filter((s) => s !== null));
      // Fetch first (its own session, no server lock: it only adds a file), then the ordinary restore.
      const fetched = await withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
        const session = await openRepoStep(ctx, job, ex, server, repo, { create: false });
        try {
          const snap = await job.step('find snapshot', async (s) => {
            const r = await session.checked(
              restic.snapshots({ tag: restic.subjectTag('db', app.name) }),
              'listing snapshots',
              { signal: job.signal },
            );
            const all = parseSnapshots(r.stdout);
            const found = opts.snapshot
              ? all.filter((x) => x.id.startsWith(opts.snapshot!))
              : all.filter((x) => x.host === server.name).slice(-1);
            if (found.length !== 1)
              throw new InfraktError(
                'NOT_FOUND',
                opts.snapshot
                  ? `no single snapshot '${opts.snapshot}' of database ${app.name} on target ${target.name}`
                  : `target ${target.name} has no snapshot of database ${app.name} from ${server.name}`,
                { hint: `list them with: infrakt db backups ${app.name} --target ${target.name}` },
              );
            const snapshot = found[0]!;
            const file = dumpIn(snapshot);
            if (!file) throw new InfraktError('STATE', `snapshot ${snapshot.shortId} holds no database dump`);
            s.detail(`${snapshot.shortId} of ${snapshot.time} from ${snapshot.host}: ${file}`);
            return { snapshot, file };
          });
          await job.step('fetch backup', async (s) => {
            const ls = parseLs(
              (await session.checked(restic.ls(snap.snapshot.id), 'listing the snapshot', { signal: job.signal }))
                .stdout,
            );
            const dump = ls.find((n) => n.path.endsWith(`/${snap.file}`));
            const side = ls.find((n) => n.path.endsWith(`/${snap.file}.json`));
            if (!dump || !side)
              throw new InfraktError(
                'STATE',
                `snapshot ${snap.snapshot.shortId} lacks ${snap.file} or its checksum record`,
              );
            const stage = `${l.backupsDir}/.from-target-${randomBytes(4).toString('hex')}`;
            await runChecked(ex, fs.mkdirp(stage, 0o700), { what: 'mkdir staging' });
            try {
              for (const [node, dest] of [
                [dump, `${stage}/${snap.file}`],
                [side, `${stage}/${snap.file}.json`],
              ] as const) {
                const cmd = restic.dumpToFile(session.restic, session.credDir, snap.snapshot.id, node.path, dest);
                const res = await ex.run(cmd, { signal: job.signal });
                if (res.exitCode !== 0) throw resticError(session.repo, `fetching ${node.path}`, res);
              }
              const meta = JSON.parse((await runChecked(ex, fs.cat(`${stage}/${snap.file}.json`))).stdout) as {
                type?: string;
              };
              if (meta.type && meta.type !== settings.type)
                throw new InfraktError(
                  'VALIDATION',
                  `snapshot holds a ${meta.type} backup; ${app.name} is ${settings.type}`,
                );
              // Into the backups dir under its own name, unless a different file of that name is there already.
              const same = await ex.run(
                exec(
                  'sh',
                  '-c',
                  'cmp -s "$1" "$2" && cmp -s "$1.json" "$2.json"',
                  'sh',
                  `${stage}/${snap.file}`,
                  `${l.backupsDir}/${snap.file}`,
                ),
              );
              const present = await ex.run(fs.testFile(`${l.backupsDir}/${snap.file}`));
              if (present.exitCode === 0 && same.exitCode !== 0)
                throw new InfraktError('CONFLICT', `a different ${snap.file} exists in ${l.backupsDir}`, {
                  hint: 'move it aside on the server, then restore again',
                });
              await runChecked(
                ex,
                and(
                  fs.mv(`${stage}/${snap.file}.json`, `${l.backupsDir}/${snap.file}.json`),
                  fs.mv(`${stage}/${snap.file}`, `${l.backupsDir}/${snap.file}`),
                ),
                { what: 'place backup' },
              );
              s.detail(`${snap.file} (${dump.size} bytes) into ${l.backupsDir}`);
            } finally {
              await ex.run(fs.rmrf(stage));
            }
          });
          return snap;
        } finally {
          await session.close();
        }
      });
      const plan = await prepareRestore(ctx, app.name, fetched.file, { server: server.name });
      const r = await plan.body(job);
      await audit(ctx, 'db.restore.offsite', `${server.name}/${app.name}`, {
        target: target.name,
        snapshot: fetched.snapshot.id,
      });
      return { ...r, snapshot: fetched.snapshot.id, target: target.name, ms: Date.now() - t0 };
    },
  };
}
