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
