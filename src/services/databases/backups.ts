import { createHash } from 'node:crypto';
import { exec, pipe } from '../../core/cmd/index.js';
import {
  BACKUP_FILE_RE,
  listBackupDir,
  parseBackupListing,
  parseBackupRun,
  parseSidecar,
  renderBackupScript,
  runBackupScript,
} from '../../core/commands/db-backup.js';
import * as dbc from '../../core/commands/db-dump.js';
import * as fs from '../../core/commands/fs.js';
import { InfraktError } from '../../core/errors.js';
import { type Executor, runChecked, tail } from '../../core/executor.js';
import { dbLayout } from '../../core/plans/db-compose.js';
import type { BackupList } from '../../core/schemas/views/databases.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { appLockName } from '../shared/lock-on-server.js';
import { withServer } from '../shared/server-session.js';
import { waitContainerHealthy } from './container-health.js';
import { type DbSettings, resolveDatabase } from './model.js';

export interface BackupResult {
  database: string;
  file: string;
  path: string;
  size: number;
  sha256: string;
  pruned: string[];
  ms: number;
}

/** The backup script, rewritten before each run (so a script from an older infrakt is never used). */
export async function writeBackupScript(
  ex: Executor,
  root: string,
  name: string,
  settings: DbSettings,
): Promise<string> {
  const l = dbLayout(root, name);
  await runChecked(ex, fs.mkdirp(l.backupsDir, 0o700), { what: 'mkdir backups' });
  await ex.put(l.backupScript, renderBackupScript({ name, type: settings.type, root }), { mode: 0o700 });
  return l.backupScript;
}

function checkBackupName(file: string): string {
  if (!BACKUP_FILE_RE.test(file))
    throw new InfraktError('VALIDATION', `'${file}' is not a backup file name`, {
      hint: 'use a name from: infrakt db backups <name> (e.g. 20261122T031500Z.dump)',
    });
  return file;
}

/** `db backup <name>`: runs the server's backup script (dump → verify → checksum → rename → prune to `keep`). */
export async function prepareBackup(
  ctx: Ctx,
  name: string,
  opts: { server?: string; keep?: number } = {},
): Promise<JobPlan<BackupResult>> {
  const { app, server, settings } = await resolveDatabase(ctx, name, opts.server);
  const keep = opts.keep ?? 0;
  if (!Number.isInteger(keep) || keep < 0 || keep > 10_000)
    throw new InfraktError('VALIDATION', '--keep must be a whole number (0 = keep all)');
  const l = dbLayout(server.root_dir, app.name);
  return {
    spec: appJobSpec(app, server, 'db.backup', {
      params: { database: app.name, keep },
      steps: ['connect', 'backup script', 'dump and verify'],
    }),
    body: (job) => {
      const t0 = Date.now();
      return withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
        await job.step('backup script', async (s) => {
          s.detail(await writeBackupScript(ex, server.root_dir, app.name, settings));
        });
        return await job.step('dump and verify', async (s) => {
          const lines: string[] = [];
          const cmd = runBackupScript(l.backupScript, keep);
          const r = await ex.stream(
            cmd,
            (stream, line) => {
              lines.push(line);
              s.log(line, stream);
            },
            { signal: job.signal },
          );
          s.exitCode(r.exitCode);
          const { done, failure, pruned } = parseBackupRun(lines);
          if (r.exitCode !== 0 || !done) {
            throw new InfraktError(
              'COMMAND_FAILED',
              `backup of ${app.name} failed: ${failure ?? `the backup script exited ${r.exitCode}`}`,
              {
                hint: 'nothing was kept; see the job log (infrakt job logs <id>)',
                details: { exitCode: r.exitCode, stderrTail: tail(r.stderr) },
              },
            );
          }
          const { file, size, sha256 } = done;
          s.detail(`${file}, ${size} bytes, verified`);
          await audit(ctx, 'db.backup', `${server.name}/${app.name}`, { file, size });
          return {
            database: app.name,
            file,
            path: `${l.backupsDir}/${file}`,
            size,
            sha256,
            pruned,
            ms: Date.now() - t0,
          };
        });
      });
    },
  };
}

/** `db backups <name>`: the backups on the server (newest first) and the last manual and scheduled results. */
export async function listBackups(ctx: Ctx, name: string, opts: { server?: string } = {}): Promise<BackupList> {
  const { app, server, settings } = await resolveDatabase(ctx, name, opts.server);
  const l = dbLayout(server.root_dir, app.name);
  const ex = await ctx.connect(server);
  try {
    const r = await runChecked(ex, listBackupDir(l.backupsDir), { what: 'list backups' });
    const { backups, lastManual, lastScheduled } = parseBackupListing(r.stdout);
    return {
      database: app.name,
      server: server.name,
      dir: l.backupsDir,
      backups,
      lastManual,
      lastScheduled,
      schedule: settings.schedule ?? null,
    };
  } finally {
    await ex.close();
  }
}

/** Checks a backup on the server before it is used: present, sha256 and size as recorded, the engine's own check. */
async function verifyOnServer(ex: Executor, dir: string, file: string, settings: DbSettings, container: string) {
  const path = `${dir}/${file}`;
  const present = await ex.run(fs.testFile(path));
  if (present.exitCode !== 0)
    throw new InfraktError('NOT_FOUND', `backup '${file}' not found in ${dir}`, {
      hint: 'list backups with: infrakt db backups <name>',
    });
  const side = await ex.run(fs.cat(`${path}.json`));
  const meta = side.exitCode === 0 ? parseSidecar(side.stdout) : null;
  if (!meta?.sha256)
    throw new InfraktError(
      'STATE',
      `backup '${file}' has no valid checksum record (${file}.json); refusing to use it`,
      {
        hint: 'restore a backup listed as verified by: infrakt db backups <name>',
      },
    );
  const sum = await runChecked(ex, dbc.checksum(path), { what: 'sha256sum' });
  const [sha, size] = sum.stdout.trim().split(' ');
  if (sha !== meta.sha256 || Number(size) !== meta.size)
    throw new InfraktError(
      'STATE',
      `backup '${file}' is corrupt: its checksum or size differs from when it was taken`,
      {
        hint: 'nothing was changed; restore another backup (infrakt db backups <name>)',
        details: { expected: { sha256: meta.sha256, size: meta.size }, actual: { sha256: sha, size: Number(size) } },
      },
    );
  const check = await ex.run(dbc.verify(settings.type, path, container));
  if (check.exitCode !== 0)
    throw new InfraktError('STATE', `backup '${file}' failed the ${settings.type} integrity check`, {
      hint: 'nothing was changed; restore another backup (infrakt db backups <name>)',
    });
  return { path, sha256: sha, size: Number(size) };
}

/** `db restore <name> <backup>`: verifies the backup, then restores it into the running database. */
export async function prepareRestore(
  ctx: Ctx,
  name: string,
  backup: string,
  opts: { server?: string } = {},
): Promise<JobPlan<{ database: string; backup: string; ms: number }>> {
  const file = checkBackupName(backup);
  const { app, server, settings } = await resolveDatabase(ctx, name, opts.server);
  const l = dbLayout(server.root_dir, app.name);
  return {
    spec: appJobSpec(app, server, 'db.restore', {
      params: { database: app.name, backup: file },
      steps: ['connect', 'lock on server', 'verify backup', 'restore', 'wait healthy'],
    }),
    body: (job) => {
      const t0 = Date.now();
      return withServer(ctx, job, server, { lock: { name: appLockName(app.name) } }, async ({ ex }) => {
        const v = await job.step('verify backup', async (s) => {
          const state = await ex.run(dbc.containerState(l.container));
          if (state.exitCode !== 0 || !state.stdout.startsWith('running'))
            throw new InfraktError('STATE', `database ${app.name} is not running`, {
              hint: 'start it first; nothing was changed',
            });
          const r = await verifyOnServer(ex, l.backupsDir, file, settings, l.container);
          s.detail(`${r.size} bytes, sha256 ${r.sha256.slice(0, 12)}…`);
          return r;
        });
        await job.step('restore', async (s) => {
          if (settings.type === 'redis') {
            await restoreRedis(ex, l.container, settings.image, v.path, (m) => s.log(m));
          } else {
            const r = await ex.run(dbc.restore(settings.type, l.container, app.name, v.path), { signal: job.signal });
            s.exitCode(r.exitCode);
            if (r.exitCode !== 0)
              throw new InfraktError(
                'COMMAND_FAILED',
                `restore of ${file} into ${app.name} failed (exit ${r.exitCode})`,
                {
                  hint:
                    settings.type === 'postgres'
                      ? 'the restore ran in one transaction: the database is as it was'
                      : 'see the job log (infrakt job logs <id>)',
                  details: { stderrTail: tail(r.stderr || r.stdout) },
                },
              );
          }
          s.detail(file);
        });
        await job.step('wait healthy', async (s) => {
          s.detail(`healthy after ${await waitContainerHealthy(ex, l.container, job.signal, [])} ms`);
        });
        await ctx.store.db
          .updateTable('apps')
          .set({ status: 'running', updated_at: nowIso(ctx) })
          .where('id', '=', app.id)
          .execute();
        await audit(ctx, 'db.restore', `${server.name}/${app.name}`, { backup: file });
        return { database: app.name, backup: file, ms: Date.now() - t0 };
      });
    },
  };
}

/** Redis loads its RDB at start: stop (it saves), put the backup in place through a helper container, start. */
async function restoreRedis(ex: Executor, container: string, image: string, path: string, log: (m: string) => void) {
  const where = await runChecked(ex, dbc.redisRdbPath(container), { what: 'redis CONFIG GET dir' });
  const [dir = '', rdb = ''] = where.stdout.trim().split(' ');
  if (!dir.startsWith('/') || !/^[A-Za-z0-9._-]+$/.test(rdb))
    throw new InfraktError('STATE', `unexpected redis data location: ${where.stdout.trim()}`);
  await runChecked(ex, dbc.stopContainer(container), { what: 'docker stop' });
  try {
    await runChecked(ex, dbc.redisPlaceRdb(container, image, path, dir, rdb), { what: 'place RDB' });
    log(`placed ${path} as ${dir}/${rdb}`);
  } finally {
    await runChecked(ex, dbc.startContainer(container), { what: 'docker start' });
  }
}

/** Where a download goes: written chunk by chunk, kept only once its checksum matched. */
export interface DownloadSink {
  write(chunk: Buffer): Promise<void>;
  /** The checksum matched: keep the file; returns its final path. */
  commit(): Promise<string>;
  /** Anything failed: remove what was written. */
  abort(): Promise<void>;
}

/** Bytes per round trip of a download: what is held in memory at once (base64 on the wire). */
export const DOWNLOAD_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * `db backup <name> --download [path]`: copies a backup here in bounded chunks (never the whole file in
 * memory) and checks its sha256 against the server's record before keeping it.
 */
export async function downloadBackup(
  ctx: Ctx,
  name: string,
  backup: string | undefined,
  opts: {
    server?: string;
    open: (file: string) => Promise<DownloadSink>;
    progress?: (done: number, total: number) => void;
    chunkBytes?: number;
  },
): Promise<{ database: string; backup: string; path: string; size: number; sha256: string }> {
  const { app, server } = await resolveDatabase(ctx, name, opts.server);
  const l = dbLayout(server.root_dir, app.name);
  const ex = await ctx.connect(server);
  try {
    let file = backup === undefined ? undefined : checkBackupName(backup);
    if (file === undefined) {
      const listed = await runChecked(ex, listBackupDir(l.backupsDir), { what: 'list backups' });
      file = parseBackupListing(listed.stdout).backups[0]?.name;
      if (!file)
        throw new InfraktError('NOT_FOUND', `database '${app.name}' has no backups yet`, {
          hint: `take one: infrakt db backup ${app.name}`,
        });
    }
    const side = await ex.run(fs.cat(`${l.backupsDir}/${file}.json`));
    if (side.exitCode !== 0) {
      const present = await ex.run(fs.testFile(`${l.backupsDir}/${file}`));
      if (present.exitCode !== 0)
        throw new InfraktError('NOT_FOUND', `backup '${file}' not found`, {
          hint: `list backups with: infrakt db backups ${app.name}`,
        });
    }
    const sidecar = side.exitCode === 0 ? parseSidecar(side.stdout) : null;
    if (side.exitCode === 0 && !sidecar)
      throw new InfraktError('STATE', `backup '${file}' has an unreadable checksum record (${file}.json); not saved`, {
        hint: 'it is damaged on the server; download a backup listed as verified by: infrakt db backups <name>',
      });
    const expected = sidecar?.sha256;
    const remote = `${l.backupsDir}/${file}`;
    const sizeOut = await runChecked(ex, exec('stat', '-c', '%s', '--', remote), { what: 'size of the backup' });
    const total = Number(sizeOut.stdout.trim());
    const chunk = opts.chunkBytes ?? DOWNLOAD_CHUNK_BYTES;
    const hash = createHash('sha256');
    const sink = await opts.open(file);
    let done = 0;
    try {
      opts.progress?.(0, total);
      for (let block = 0; done < total; block++) {
        // One block per round trip, base64 so the bytes survive the text channel.
        const r = await runChecked(
          ex,
          pipe(
            exec('dd', `if=${remote}`, `bs=${chunk}`, `skip=${block}`, 'count=1', 'status=none'),
            exec('base64', '-w', '0'),
          ),
          { what: `read ${file}` },
        );
        const data = Buffer.from(r.stdout.trim(), 'base64');
        if (data.length === 0) break;
        hash.update(data);
        await sink.write(data);
        done += data.length;
        opts.progress?.(done, total);
      }
      const sha256 = hash.digest('hex');
      if (done !== total || (expected && expected !== sha256))
        throw new InfraktError('STATE', `backup '${file}' does not match its recorded checksum; not saved`, {
          hint: 'it is corrupt on the server (or changed while downloading)',
        });
      const path = await sink.commit();
      return { database: app.name, backup: file, path, size: done, sha256 };
    } catch (e) {
      await sink.abort();
      throw e;
    }
  } finally {
    await ex.close();
  }
}
