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

/** The addresses the SSRF check accepted for an https source's host (see services/ssrf.ts). */
export interface GitPin {
  readonly host: string;
  readonly port: number;
  readonly addresses: readonly string[];
}

/**
 * Network settings for a fetch: redirects are never followed (one could lead to an internal address the
 * check never saw), and with a pin curl connects to the checked addresses instead of resolving the name
 * again on the server (DNS rebinding). IP literals need no pin.
 */
function fetchConfig(pin?: GitPin): string[] {
  const c = ['-c', 'http.followRedirects=false'];
  if (pin && pin.addresses.length > 0 && !/^[0-9.]+$|^\[/.test(pin.host)) {
    const addrs = pin.addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(',');
    c.push('-c', `http.curloptResolve=${pin.host}:${pin.port}:${addrs}`);
  }
  return c;
}

/** First deploy clones the branch; later deploys fetch it and move the checkout to the fetched commit. */
export function syncBranch(repo: string, branch: string, dir: string, pin?: GitPin): Cmd {
  const net = fetchConfig(pin);
  const fetch = and(
    git(...net, '-C', dir, 'fetch', '--quiet', '--depth', '1', 'origin', '--', branch),
    git('-C', dir, 'checkout', '--quiet', '--force', '--detach', 'FETCH_HEAD'),
    git('-C', dir, 'clean', '-fdxq'),
  );
  const clone = git(...net, 'clone', '--quiet', '--depth', '1', '--single-branch', '--branch', branch, '--', repo, dir);
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
export function syncCommit(repo: string, commit: string, refs: readonly string[], dir: string, pin?: GitPin): Cmd {
  if (!COMMIT_RE.test(commit)) throw new Error(`not a commit id: ${commit}`);
  const net = fetchConfig(pin);
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
    quietErr(git(...net, '-C', dir, 'fetch', '--quiet', '--depth', '1', 'origin', '--', commit)),
    ...refs.map((r) => git(...net, '-C', dir, 'fetch', '--quiet', '--depth', '50', 'origin', '--', r)),
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
