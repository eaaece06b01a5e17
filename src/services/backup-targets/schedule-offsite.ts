import type { ServerRow } from '../../adapters/store/schema.js';
import { exec } from '../../core/cmd/index.js';
import * as fs from '../../core/commands/fs.js';
import { CRED_FILES, knownHostsFile, resticRepo, s3EnvFile } from '../../core/commands/restic.js';
import { InfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import { offsiteLayout, renderOffsiteScript } from '../../core/plans/offsite-script.js';
import type { Retention } from '../../core/schemas/backup-target.js';
import { Secret } from '../../core/secret.js';
import type { Ctx } from '../shared/context.js';
import { ensureRepository, openSession, targetRepo } from './session.js';
import { resolveTarget } from './targets.js';

/**
 * A schedule runs on the server while infrakt may be offline, so its target's credentials have to live there:
 * `<root>/backups/<db>/.offsite/` (0700) with 0600 files, readable by the server user (root for the timer) only,
 * removed again by `--unschedule`, `db destroy` or a schedule without --target. Before they are installed the
 * target is opened once from the server (host key pinned, repository created, password checked), so a schedule
 * that could never push is refused now rather than failing at night.
 */
export async function installOffsite(
  ctx: Ctx,
  job: JobContext,
  ex: Executor,
  server: ServerRow,
  db: string,
  o: { target: string; retention: Retention | null },
): Promise<string> {
  const t = await resolveTarget(ctx, o.target);
  const repo = targetRepo(t);
  job.addSecrets(repo.password, ...[repo.secretAccessKey, repo.sshKey].filter((s) => s !== null));
  const session = await openSession(ctx, ex, server, repo, (l) => job.log(l));
  try {
    const created = await ensureRepository(session, { signal: job.signal });
    if (created) job.log(`initialised a new repository on target ${t.name}`);
  } finally {
    await session.close();
  }
  const l = offsiteLayout(server.root_dir, db);
  await runChecked(ex, fs.rmrf(l.credDir), { what: 'clear old credentials' });
  await runChecked(ex, fs.mkdirp(l.credDir, 0o700), { what: 'mkdir credentials' });
  const put = (name: string, content: string | Secret) => ex.put(`${l.credDir}/${name}`, content, { mode: 0o600 });
  const files = [put(CRED_FILES.password, repo.password)];
  const loc = t.location;
  if (loc.kind === 's3') {
    files.push(put(CRED_FILES.env, s3EnvFile(loc.accessKeyId, repo.secretAccessKey ?? new Secret(''), loc.region)));
    if (loc.caCert) files.push(put(CRED_FILES.caCert, loc.caCert));
  } else {
    if (loc.hostKeys.length === 0) throw new InfraktError('STATE', `target ${t.name} has no pinned host key`);
    files.push(put(CRED_FILES.knownHosts, knownHostsFile(loc.host, loc.port, loc.hostKeys)));
    if (repo.sshKey) {
      const key = repo.sshKey.reveal();
      files.push(put(CRED_FILES.sshKey, new Secret(key.endsWith('\n') ? key : `${key}\n`)));
    }
  }
  await Promise.all(files);
  await ex.put(
    l.script,
    renderOffsiteScript({
      name: db,
      root: server.root_dir,
      host: server.name,
      target: t.name,
      repo: resticRepo(loc, l.credDir, repo.sshKey !== null),
      retention: o.retention,
    }),
    { mode: 0o700 },
  );
  return l.script;
}

/** Removes a schedule's off-site script and credentials (nothing to do when there were none). */
export async function removeOffsite(ex: Executor, root: string, db: string): Promise<void> {
  const l = offsiteLayout(root, db);
  await ex.run(fs.rmrf(l.credDir));
  await ex.run(exec('rm', '-f', '--', l.script));
}
