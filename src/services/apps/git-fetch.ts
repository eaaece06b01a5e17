// The fetch of a git release (`fetch git source`): public sources as they are, SSH sources with the app's
// deploy key and the git host's pinned key, https sources with a token through git's credential cache.
import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import type { Cmd } from '../../core/cmd/index.js';
import * as fs from '../../core/commands/fs.js';
import * as git from '../../core/commands/git.js';
import { InfraktError } from '../../core/errors.js';
import { commandFailed, type Executor, runChecked } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import type { AppLayout } from '../../core/plans/layout.js';
import { knownHostsName, parseKeyscan, type SshGitRemote } from '../../core/schemas/git-source.js';
import { Secret } from '../../core/secret.js';
import type { Ctx } from '../shared/context.js';
import { appSettings } from './app-settings.js';
import {
  type CheckedGitSource,
  deployKeySecret,
  gitHostKeyFingerprint,
  gitRemoteOf,
  gitTokenSecret,
  patchAppSettings,
  pinnedGitHostKeys,
} from './git-access.js';

export interface GitFetchCtx {
  readonly ctx: Ctx;
  readonly ex: Executor;
  /** The deploy job (its signal; secrets it redacts), or a poll's stand-in. */
  readonly job: Pick<JobContext, 'signal' | 'addSecrets'>;
  readonly app: AppRow;
  readonly server: ServerRow;
  readonly layout: AppLayout;
  log(line: string): void;
  /** The credential cache's socket directory (default the layout's): a poll must not stop a deploy's daemon. */
  readonly credentialDir?: string;
  /**
   * What the SSRF check accepted right before this fetch (null: nothing to pin). An SSH fetch connects to its
   * address; an https fetch carries its pin in `sync` already (`git.syncBranch(…, pin)`).
   */
  readonly checked: CheckedGitSource | null;
}

const FETCH_TIMEOUT_MS = 15 * 60_000;

/**
 * Runs `sync` (clone or fetch + checkout, or an `ls-remote` of a poll) with whatever access the app's source
 * needs; its stdout is returned.
 */
export async function runGitFetch(f: GitFetchCtx, sync: Cmd, what = 'git fetch'): Promise<string> {
  const remote = gitRemoteOf(f.app.git_repo ?? '');
  const opts = { signal: f.job.signal, timeoutMs: FETCH_TIMEOUT_MS };
  if (remote.kind === 'ssh') return fetchOverSsh(f, sync, remote.remote, what);
  const token = remote.kind === 'https' ? gitTokenSecret(f.ctx, f.app) : null;
  if (remote.kind !== 'https' || !token) return (await runChecked(f.ex, sync, { ...opts, what })).stdout;
  f.job.addSecrets(token.token);
  const input = new Secret(
    git.credentialInput({
      host: remote.host,
      port: remote.port,
      username: token.username,
      token: token.token.reveal(),
    }),
  );
  const cmd = git.withCredentialCache(sync, { socketDir: f.credentialDir ?? f.layout.gitCredentialDir });
  f.log(`fetching with the app's token for ${remote.host} (through git's credential cache)`);
  const r = await f.ex.run(cmd, { ...opts, stdin: input });
  if (r.exitCode !== 0) {
    const err = commandFailed(f.ex.target, cmd, r, `${what} (https with token)`);
    throw new InfraktError(err.code, err.message, {
      details: err.details,
      hint: `check the token's access to the repository; replace it with: infrakt app update ${f.app.name} --git-token`,
    });
  }
  return r.stdout;
}

async function fetchOverSsh(f: GitFetchCtx, sync: Cmd, remote: SshGitRemote, what: string): Promise<string> {
  const key = deployKeySecret(f.ctx, f.app);
  if (!key) {
    throw new InfraktError('STATE', `'${f.app.name}' has no deploy key for ${remote.host}`, {
      hint: `create it and add its public half to the repository: infrakt app deploy-key ${f.app.name}`,
    });
  }
  f.job.addSecrets(key);
  const name = knownHostsName(remote.host, remote.port);
  const address = sshAddress(f.checked);
  // Host keys are read from the checked address too: a first-use pin must come from where the fetch connects.
  const scanHost = address ?? remote.host;
  const hostKeys = await pinHostKeys(f, remote, scanHost);
  if (address) f.log(`connecting to ${remote.host} at ${address} (the address checked on the control host)`);
  const knownHosts = `${f.layout.gitSshDir}/known_hosts`;
  const publicKey = `${f.layout.gitSshDir}/deploy_key.pub`;
  await runChecked(f.ex, fs.mkdirp(f.layout.gitSshDir, 0o700), { what: 'create the git ssh directory' });
  await Promise.all([
    f.ex.put(knownHosts, hostKeys.map((k) => `${name} ${k}\n`).join(''), { mode: 0o644 }),
    f.ex.put(publicKey, `${appSettings(f.app).git!.deployKey!.publicKey}\n`, { mode: 0o644 }),
  ]);
  const pin = address ? { address, hostKeyAlias: name } : undefined;
  const cmd = git.withDeployKey(sync, { knownHosts, publicKey, ...(pin ? { pin } : {}) });
  const r = await f.ex.run(cmd, { stdin: key, signal: f.job.signal, timeoutMs: FETCH_TIMEOUT_MS });
  if (r.exitCode === 0) return r.stdout;
  // Was it the host key? Ask the host again and compare with the pin (decided on keys, not on stderr text).
  const presented = parseKeyscan((await f.ex.run(git.keyscan(scanHost, remote.port))).stdout);
  if (presented.length > 0 && !presented.some((k) => hostKeys.includes(k))) {
    throw new InfraktError(
      'HOST_KEY_MISMATCH',
      `the git host ${name} presents a different host key than the one pinned`,
      {
        hint: `if ${remote.host} really changed its key, verify the new one and pin it: infrakt app update ${f.app.name} --git-host-key "<key or SHA256 fingerprint>"`,
        details: {
          pinned: hostKeys.map(gitHostKeyFingerprint),
          presented: presented.map(gitHostKeyFingerprint),
        },
      },
    );
  }
  const err = commandFailed(f.ex.target, cmd, r, `${what} over SSH`);
  throw new InfraktError(err.code, err.message, {
    details: err.details,
    hint: `is the deploy key allowed to read the repository? Show it with: infrakt app deploy-key ${f.app.name}`,
  });
}

/**
 * The one address an SSH fetch connects to (ssh takes a single HostName): the first IPv4 address the check
 * accepted, else the first one — many servers have no IPv6 route, and every accepted address is public.
 */
function sshAddress(checked: CheckedGitSource | null): string | null {
  if (checked?.kind !== 'ssh') return null;
  return checked.addresses.find((a) => !a.includes(':')) ?? checked.addresses[0] ?? null;
}

/**
 * The git host keys to trust: the pinned ones, or on first use the ones the host presents now (pinned and shown
 * in the job log). A pinned fingerprint (`--git-host-key SHA256:…`) must match one of them.
 */
async function pinHostKeys(f: GitFetchCtx, remote: SshGitRemote, scanHost: string): Promise<string[]> {
  const git0 = appSettings(f.app).git;
  const pinned = pinnedGitHostKeys(git0);
  if (pinned.keys.length > 0) return pinned.keys;
  const scan = await f.ex.run(git.keyscan(scanHost, remote.port), { signal: f.job.signal, timeoutMs: 60_000 });
  const presented = parseKeyscan(scan.stdout);
  if (presented.length === 0) {
    throw new InfraktError(
      'COMMAND_FAILED',
      `cannot read the host key of ${remote.host}:${remote.port} from the server`,
      {
        hint: 'is the git host reachable from the server on that port? (ssh-keyscan found no key)',
      },
    );
  }
  let keys = presented;
  if (git0?.hostKeyFingerprint) {
    keys = presented.filter((k) => gitHostKeyFingerprint(k) === git0.hostKeyFingerprint);
    if (keys.length === 0) {
      throw new InfraktError(
        'HOST_KEY_MISMATCH',
        `the git host ${remote.host} presents no key with the pinned fingerprint`,
        {
          hint: `expected ${git0.hostKeyFingerprint}; presented ${presented.map(gitHostKeyFingerprint).join(', ')}`,
        },
      );
    }
  }
  await patchAppSettings(f.ctx, f.app.id, (s) => ({ ...s, git: { ...s.git, hostKeys: keys } }));
  const how = git0?.hostKeyFingerprint ? 'matching the given fingerprint' : 'first use';
  for (const k of keys) f.log(`pinned the git host key of ${remote.host} (${how}): ${gitHostKeyFingerprint(k)}`);
  return keys;
}
