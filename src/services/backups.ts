import { createHash } from 'node:crypto';
import { exec } from '../core/cmd/index.js';
import * as dbc from '../core/commands/db-dump.js';
import * as fs from '../core/commands/fs.js';
import { InfraktError } from '../core/errors.js';
import { type Executor, runChecked, tail } from '../core/executor.js';
import { BACKUP_FILE_RE, renderBackupScript } from '../core/plans/db-backup-script.js';
import { dbLayout } from '../core/plans/db-compose.js';
import type { BackupList, BackupView, RunStatus } from '../core/schemas/views/databases.js';
import { appJobSpec } from './app-job-spec.js';
import { appLockName } from './app-remote-lock.js';
import { audit } from './audit.js';
import type { Ctx } from './context.js';
import { nowIso } from './context.js';
import { waitHealthy } from './databases-job.js';
import { type DbSettings, resolveDatabase } from './databases-model.js';
import type { JobPlan } from './job-plan.js';
import { withServer } from './server-session.js';

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
          const cmd = exec('sh', l.backupScript, 'manual', String(keep));
          const r = await ex.stream(
            cmd,
            (stream, line) => {
              lines.push(line);
              s.log(line, stream);
            },
            { signal: job.signal },
          );
          s.exitCode(r.exitCode);
          const done = lines.map((x) => /^BACKUP (\S+) (\d+) ([0-9a-f]{64})$/.exec(x)).find(Boolean);
          if (r.exitCode !== 0 || !done) {
            const why = lines
              .filter((x) => x.startsWith('backup failed: '))
              .at(-1)
              ?.slice('backup failed: '.length);
            throw new InfraktError(
              'COMMAND_FAILED',
              `backup of ${app.name} failed: ${why ?? `the backup script exited ${r.exitCode}`}`,
              {
                hint: 'nothing was kept; see the job log (infrakt job logs <id>)',
                details: { exitCode: r.exitCode, stderrTail: tail(r.stderr) },
              },
            );
          }
          const [, file = '', size = '0', sha256 = ''] = done;
          s.detail(`${file}, ${size} bytes, verified`);
          const pruned = lines.filter((x) => x.startsWith('pruned ')).map((x) => x.slice(7));
          await audit(ctx, 'db.backup', `${server.name}/${app.name}`, { file, size: Number(size) });
          return {
            database: app.name,
            file,
            path: `${l.backupsDir}/${file}`,
            size: Number(size),
            sha256,
            pruned,
            ms: Date.now() - t0,
          };
        });
      });
    },
  };
}

// Prints every sidecar/status JSON (one line each) and every backup file name, in one round trip.
const LIST_SCRIPT =
  'cd "$1" 2>/dev/null || exit 0; for f in *; do [ -f "$f" ] || continue; case $f in *.json) printf "J %s " "$f"; head -n 1 "$f";; *) printf "F %s\\n" "$f";; esac; done';

interface ServerListing {
  files: Set<string>;
  json: Map<string, unknown>;
}

async function readListing(ex: Executor, dir: string): Promise<ServerListing> {
  const r = await runChecked(ex, exec('sh', '-c', LIST_SCRIPT, 'sh', dir), { what: 'list backups' });
  const files = new Set<string>();
  const json = new Map<string, unknown>();
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('F ')) files.add(line.slice(2));
    else if (line.startsWith('J ')) {
      const sp = line.indexOf(' ', 2);
      try {
        json.set(line.slice(2, sp), JSON.parse(line.slice(sp + 1)));
      } catch {
        // a damaged sidecar: the file shows as unverified
      }
    }
  }
  return { files, json };
}

function toRunStatus(v: unknown): RunStatus | null {
  if (!v || typeof v !== 'object') return null;
  return v as RunStatus;
}

/** `db backups <name>`: the backups on the server (newest first) and the last manual and scheduled results. */
export async function listBackups(ctx: Ctx, name: string, opts: { server?: string } = {}): Promise<BackupList> {
  const { app, server, settings } = await resolveDatabase(ctx, name, opts.server);
  const l = dbLayout(server.root_dir, app.name);
  const ex = await ctx.connect(server);
  try {
    const { files, json } = await readListing(ex, l.backupsDir);
    const backups = [...files]
      .filter((f) => BACKUP_FILE_RE.test(f))
      .sort()
      .reverse()
      .map((f): BackupView => {
        const meta = json.get(`${f}.json`) as
          | Partial<{ size: number; sha256: string; createdAt: string; trigger: string }>
          | undefined;
        return {
          name: f,
          size: meta?.size ?? null,
          sha256: meta?.sha256 ?? null,
          createdAt: meta?.createdAt ?? null,
          trigger: meta?.trigger ?? null,
          verified: meta !== undefined,
        };
      });
    return {
      database: app.name,
      server: server.name,
      dir: l.backupsDir,
      backups,
      lastManual: toRunStatus(json.get('last-manual.json')),
      lastScheduled: toRunStatus(json.get('last-schedule.json')),
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
  let meta: { sha256?: string; size?: number } | null = null;
  try {
    meta = side.exitCode === 0 ? (JSON.parse(side.stdout) as { sha256?: string; size?: number }) : null;
  } catch {
    meta = null;
  }
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
          s.detail(`healthy after ${await waitHealthy(ex, l.container, job.signal, [])} ms`);
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

/** `db backup <name> --download [path]`: copies a backup here and checks its sha256 against the server's record. */
export async function downloadBackup(
  ctx: Ctx,
  name: string,
  backup: string | undefined,
  opts: { server?: string; write: (file: string, data: Buffer) => Promise<string> },
): Promise<{ database: string; backup: string; path: string; size: number; sha256: string }> {
  const { app, server } = await resolveDatabase(ctx, name, opts.server);
  const l = dbLayout(server.root_dir, app.name);
  const ex = await ctx.connect(server);
  try {
    let file = backup === undefined ? undefined : checkBackupName(backup);
    if (file === undefined) {
      const { files } = await readListing(ex, l.backupsDir);
      file = [...files]
        .filter((f) => BACKUP_FILE_RE.test(f))
        .sort()
        .at(-1);
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
    const expected = side.exitCode === 0 ? (JSON.parse(side.stdout) as { sha256?: string }).sha256 : undefined;
    const data = await ex.get(`${l.backupsDir}/${file}`);
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (expected && expected !== sha256)
      throw new InfraktError('STATE', `backup '${file}' does not match its recorded checksum; not saved`, {
        hint: 'it is corrupt on the server',
      });
    const path = await opts.write(file, data);
    return { database: app.name, backup: file, path, size: data.length, sha256 };
  } finally {
    await ex.close();
  }
}
