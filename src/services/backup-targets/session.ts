import { randomBytes } from 'node:crypto';
import type { ServerRow } from '../../adapters/store/schema.js';
import { type Cmd, exec } from '../../core/cmd/index.js';
import * as fs from '../../core/commands/fs.js';
import {
  CRED_FILES,
  catConfig,
  init,
  keyscan,
  knownHostsFile,
  type LocalRepoLocation,
  type ResticRepo,
  restic,
  resticRepo,
  s3EnvFile,
} from '../../core/commands/restic.js';
import { classifyResticFailure, parseKeyscan } from '../../core/commands/restic-output.js';
import { asRoot } from '../../core/commands/sudo.js';
import { InfraktError } from '../../core/errors.js';
import { type Executor, type RunOptions, type RunResult, runChecked, tail } from '../../core/executor.js';
import { describeLocation, type TargetLocation } from '../../core/schemas/backup-target.js';
import { Secret, scrub } from '../../core/secret.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { keyFingerprint, pinHostKeys, type ResolvedTarget } from './targets.js';

/** A repository infrakt can open: a target, or a server's own local repository (app volumes without a target). */
export interface Repo {
  /** Target name, or null for the server's local repository. */
  readonly target: string | null;
  /** For messages: `target offsite (sftp:…)` or `the local repository of prod-1`. */
  readonly label: string;
  readonly location: TargetLocation | LocalRepoLocation;
  readonly password: Secret;
  readonly secretAccessKey: Secret | null;
  readonly sshKey: Secret | null;
  /** Set for targets (host key pinning on first contact). */
  readonly resolved: ResolvedTarget | null;
}

export function targetRepo(t: ResolvedTarget): Repo {
  const s = t.secrets();
  return {
    target: t.name,
    label: `target ${t.name} (${describeLocation(t.location)})`,
    location: t.location,
    password: s.repoPassword,
    secretAccessKey: s.secretAccessKey,
    sshKey: s.sshKey,
    resolved: t,
  };
}

/** The server's local restic repository under `<root>/backups/restic`; its password is made on first use. */
export async function localRepo(ctx: Ctx, server: ServerRow): Promise<Repo> {
  const purpose = `server-repo:${server.id}`;
  let row = await ctx.store.db
    .selectFrom('server_repos')
    .selectAll()
    .where('server_id', '=', server.id)
    .executeTakeFirst();
  if (!row) {
    const sealed = ctx.cipher.seal(purpose, randomBytes(32).toString('base64url'));
    await ctx.store.db
      .insertInto('server_repos')
      .values({ server_id: server.id, password_enc: sealed, created_at: nowIso(ctx) })
      .onConflict((oc) => oc.column('server_id').doNothing())
      .execute();
    row = await ctx.store.db
      .selectFrom('server_repos')
      .selectAll()
      .where('server_id', '=', server.id)
      .executeTakeFirstOrThrow();
  }
  return {
    target: null,
    label: `the local repository of ${server.name}`,
    location: { kind: 'local', path: `${server.root_dir}/backups/restic` },
    password: new Secret(ctx.cipher.unseal(purpose, row.password_enc)),
    secretAccessKey: null,
    sshKey: null,
    resolved: null,
  };
}

/** An open repository on a server: credentials delivered, removed again by close(). */
export interface ResticSession {
  readonly repo: Repo;
  readonly credDir: string;
  readonly restic: ResticRepo;
  /** The restic command (through the credentials wrapper); as root when `root` (app volumes). */
  cmd(args: readonly string[], o?: { root?: boolean }): Cmd;
  run(args: readonly string[], o?: RunOptions & { root?: boolean }): Promise<RunResult>;
  /** Runs and throws a worded error (wrong password, host key, unreachable …) on a non-zero exit. */
  checked(args: readonly string[], what: string, o?: RunOptions & { root?: boolean }): Promise<RunResult>;
  close(): Promise<void>;
}

const STALE_MINUTES = 24 * 60;

/**
 * Delivers a repository's credentials to the server for one run: a fresh 0700 directory under
 * `<root>/backups/.restic-run/` holding 0600 files (password, S3 env, SFTP key, pinned host keys, CA), written over
 * stdin. SFTP targets are pinned on first contact (`ssh-keyscan` from the server; a `--fingerprint` given at `add`
 * must match). Directories of runs that died more than a day ago are removed on the way.
 */
export async function openSession(
  ctx: Ctx,
  ex: Executor,
  server: ServerRow,
  repo: Repo,
  log: (line: string) => void,
): Promise<ResticSession> {
  const parent = `${server.root_dir}/backups/.restic-run`;
  const credDir = `${parent}/${randomBytes(8).toString('hex')}`;
  const secrets = [repo.password, repo.secretAccessKey, repo.sshKey].filter((s): s is Secret => s !== null);
  await runChecked(ex, fs.mkdirp(`${server.root_dir}/backups`), { what: 'mkdir backups' });
  await runChecked(ex, fs.mkdirp(parent, 0o700), { what: 'mkdir credentials dir' });
  await ex.run(
    exec(
      'find',
      parent,
      '-mindepth',
      '1',
      '-maxdepth',
      '1',
      '-mmin',
      `+${STALE_MINUTES}`,
      '-exec',
      'rm',
      '-rf',
      '{}',
      '+',
    ),
  );
  await runChecked(ex, fs.mkdirp(credDir, 0o700), { what: 'mkdir credentials dir' });
  const files: Promise<void>[] = [ex.put(`${credDir}/${CRED_FILES.password}`, repo.password, { mode: 0o600 })];
  const l = repo.location;
  if (l.kind === 's3') {
    files.push(
      ex.put(
        `${credDir}/${CRED_FILES.env}`,
        s3EnvFile(l.accessKeyId, repo.secretAccessKey ?? new Secret(''), l.region),
        {
          mode: 0o600,
        },
      ),
    );
    if (l.caCert) files.push(ex.put(`${credDir}/${CRED_FILES.caCert}`, l.caCert, { mode: 0o600 }));
  }
  const session = makeSession(ex, server.user, repo, credDir, secrets);
  try {
    await Promise.all(files);
    if (l.kind === 'sftp') {
      const keys = await hostKeys(ctx, ex, repo, l, log);
      const extra: Promise<void>[] = [
        ex.put(`${credDir}/${CRED_FILES.knownHosts}`, knownHostsFile(l.host, l.port, keys), { mode: 0o600 }),
      ];
      if (repo.sshKey) {
        // OpenSSH refuses a key file without its final newline.
        const key = repo.sshKey.reveal();
        extra.push(
          ex.put(`${credDir}/${CRED_FILES.sshKey}`, new Secret(key.endsWith('\n') ? key : `${key}\n`), { mode: 0o600 }),
        );
      }
      await Promise.all(extra);
    }
  } catch (e) {
    await session.close();
    throw e;
  }
  return session;
}

function makeSession(ex: Executor, user: string, repo: Repo, credDir: string, secrets: Secret[]): ResticSession {
  const r = resticRepo(repo.location, credDir, repo.sshKey !== null);
  const cmd = (args: readonly string[], o: { root?: boolean } = {}) => {
    const c = restic(r, credDir, ...args);
    return o.root ? asRoot(c, user) : c;
  };
  const run = (args: readonly string[], o: RunOptions & { root?: boolean } = {}) =>
    ex.run(cmd(args, o), { ...o, secrets: [...(o.secrets ?? []), ...secrets] });
  return {
    repo,
    credDir,
    restic: r,
    cmd,
    run,
    async checked(args, what, o = {}) {
      const res = await run(args, o);
      if (res.exitCode !== 0) throw resticError(repo, what, res, secrets);
      return res;
    },
    async close() {
      await ex.run(fs.rmrf(credDir)).catch(() => undefined);
    },
  };
}

/** The pinned keys of an SFTP target; pins them on first contact (after checking a required fingerprint). */
async function hostKeys(
  ctx: Ctx,
  ex: Executor,
  repo: Repo,
  l: Extract<TargetLocation, { kind: 'sftp' }>,
  log: (line: string) => void,
): Promise<readonly string[]> {
  const current = repo.resolved?.location.kind === 'sftp' ? repo.resolved.location.hostKeys : l.hostKeys;
  if (current.length > 0) return current;
  const scan = await ex.run(keyscan(l.host, l.port));
  const keys = parseKeyscan(scan.stdout);
  if (keys.length === 0)
    throw new InfraktError('SSH_UNREACHABLE', `cannot read the host key of ${l.host}:${l.port} from ${ex.target}`, {
      hint: 'is the SFTP host reachable from the server (DNS, firewall, port)?',
    });
  const fps = keys.map(keyFingerprint);
  if (l.fingerprint && !fps.includes(l.fingerprint))
    throw new InfraktError(
      'HOST_KEY_MISMATCH',
      `the host key of ${l.host}:${l.port} is ${fps[0]}, not the ${l.fingerprint} given at backup-target add`,
      {
        hint: 'nothing was sent to it; check the fingerprint on the SFTP host (ssh-keygen -lf /etc/ssh/ssh_host_*.pub)',
      },
    );
  if (repo.resolved) await pinHostKeys(ctx, repo.resolved, keys);
  log(
    `pinned the host key of ${l.host}:${l.port}: ${fps[0]}${l.fingerprint ? ' (matches --fingerprint)' : ' (first use)'}`,
  );
  return keys;
}

/** A failed restic command as an error that says what to do. */
export function resticError(repo: Repo, what: string, r: RunResult, secrets: readonly Secret[] = []): InfraktError {
  const why = classifyResticFailure(r.exitCode, r.stderr);
  const last = scrub(tail(r.stderr || r.stdout, 3), [...secrets])
    .replace(/\s+/g, ' ')
    .trim();
  const details = { exitCode: r.exitCode, stderrTail: scrub(tail(r.stderr || r.stdout), [...secrets]) };
  const name = repo.target ?? 'local';
  switch (why) {
    case 'wrong-password':
      return new InfraktError('SECRET', `${what}: the repository password of ${repo.label} is wrong`, {
        hint:
          repo.target === null
            ? 'the local repository was made with another password; move it aside on the server and back up again'
            : `the repository was initialised with another password; re-add the target with --repo-password-file <the right one> (infrakt backup-target remove ${name}; infrakt backup-target add ${name} …)`,
        details,
      });
    case 'host-key':
      return new InfraktError('HOST_KEY_MISMATCH', `${what}: the host key of ${repo.label} is not the pinned one`, {
        hint: 'nothing was sent; if the SFTP host was reinstalled, remove and add the target again (with --fingerprint)',
        details,
      });
    case 'auth':
      return new InfraktError('COMMAND_FAILED', `${what}: ${repo.label} refused the credentials (${last})`, {
        hint: 'check the key / access key of the target, then: infrakt backup-target test',
        details,
      });
    case 'no-repository':
      return new InfraktError('NOT_FOUND', `${what}: there is no restic repository at ${repo.label}`, {
        hint: `initialise it with: infrakt backup-target test ${name}`,
        details,
      });
    case 'unreachable':
      return new InfraktError('COMMAND_FAILED', `${what}: ${repo.label} is unreachable from the server (${last})`, {
        hint: 'check DNS, firewall and port from the server',
        details,
      });
    case 'locked':
      return new InfraktError('LOCKED', `${what}: the repository of ${repo.label} is locked by another restic`, {
        hint: 'wait for the other backup to finish; a lock left by a crash expires (restic unlock removes stale ones)',
        details,
      });
    default:
      return new InfraktError('COMMAND_FAILED', `${what} failed (restic exit ${r.exitCode}): ${last}`, {
        hint: 'see the job log (infrakt job logs <id>)',
        details,
      });
  }
}

/** Opens the repository, creating it when there is none yet. Returns whether it was created. */
export async function ensureRepository(s: ResticSession, o: RunOptions & { root?: boolean } = {}): Promise<boolean> {
  const probe = await s.run(catConfig(), o);
  if (probe.exitCode === 0) return false;
  // Only a repository that does not exist yet is created: init refuses an existing one, so a wrong password or an
  // unreachable host surfaces as the error of the first attempt.
  const created = await s.run(init(), o);
  if (created.exitCode === 0) return true;
  throw resticError(s.repo, 'opening the repository', probe);
}
