import { and, type Cmd, exec, or, quietErr } from '../cmd/index.js';
import { testDir } from './fs.js';

// `--` separates options from user data; `-c protocol.allow` keeps clones to https and local paths
// (a repo URL can never smuggle `ext::` or `file://` transports in).
const SAFE_PROTOCOLS = [
  '-c',
  'protocol.allow=never',
  '-c',
  'protocol.https.allow=always',
  '-c',
  'protocol.file.allow=always',
];
const git = (...args: string[]) => exec('git', ...SAFE_PROTOCOLS, ...args);

/** First deploy clones the branch; later deploys fetch it and move the checkout to the fetched commit. */
export function syncBranch(repo: string, branch: string, dir: string): Cmd {
  const fetch = and(
    git('-C', dir, 'fetch', '--quiet', '--depth', '1', 'origin', '--', branch),
    git('-C', dir, 'checkout', '--quiet', '--force', '--detach', 'FETCH_HEAD'),
    git('-C', dir, 'clean', '-fdxq'),
  );
  const clone = git('clone', '--quiet', '--depth', '1', '--single-branch', '--branch', branch, '--', repo, dir);
  return or(and(quietErr(testDir(`${dir}/.git`)), fetch), and(exec('rm', '-rf', '--', dir), clone));
}

/** The checked-out commit id on stdout. */
export const headCommit = (dir: string): Cmd => git('-C', dir, 'rev-parse', 'HEAD');

/** A full commit id (SHA-1 or SHA-256 repositories), lower case. */
export const COMMIT_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Puts exactly `commit` in `dir`: fetched by id (GitHub, GitLab, Gitea and local repositories serve any
 * reachable commit over protocol v2), else through the refs that should contain it (the branch, or a pull
 * request's head ref). The checkout names the commit, so a branch that moved on since the push still gives
 * the pushed commit, or fails — never another one.
 */
export function syncCommit(repo: string, commit: string, refs: readonly string[], dir: string): Cmd {
  if (!COMMIT_RE.test(commit)) throw new Error(`not a commit id: ${commit}`);
  const init = and(
    exec('rm', '-rf', '--', dir),
    git('init', '--quiet', '--', dir),
    git('-C', dir, 'remote', 'add', 'origin', '--', repo),
  );
  const ready = or(
    and(quietErr(testDir(`${dir}/.git`)), git('-C', dir, 'remote', 'set-url', 'origin', '--', repo)),
    init,
  );
  const fetch = or(
    quietErr(git('-C', dir, 'fetch', '--quiet', '--depth', '1', 'origin', '--', commit)),
    ...refs.map((r) => git('-C', dir, 'fetch', '--quiet', '--depth', '50', 'origin', '--', r)),
  );
  return and(
    ready,
    fetch,
    git('-C', dir, 'checkout', '--quiet', '--force', '--detach', commit),
    git('-C', dir, 'clean', '-fdxq'),
  );
}

/** The commit a branch points at, as `<sha>\trefs/heads/<branch>` (no local checkout needed). */
export const lsRemoteBranch = (repo: string, branch: string): Cmd =>
  git('ls-remote', '--', repo, `refs/heads/${branch}`);

/** The commit id from `lsRemoteBranch` output; null when the branch does not exist. */
export function parseLsRemote(out: string, branch: string): string | null {
  for (const line of out.split('\n')) {
    const [sha, ref] = line.trim().split(/\s+/);
    if (ref === `refs/heads/${branch}` && sha && COMMIT_RE.test(sha)) return sha;
  }
  return null;
}
