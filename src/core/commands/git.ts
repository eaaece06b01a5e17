import { and, type Cmd, exec, or, quietErr, quote, render, seq } from '../cmd/index.js';
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

/**
 * The host keys an SSH git host presents, seen from the server (`host type base64` lines): what a first fetch
 * pins, and what a failed fetch is compared with to tell a changed host key from other failures.
 */
export const keyscan = (host: string, port: number): Cmd =>
  quietErr(exec('ssh-keyscan', '-T', '15', '-p', String(port), '-t', 'ed25519,ecdsa,rsa', '--', host));

/**
 * The address an SSH fetch connects to, as the SSRF check on the control host accepted it: ssh is told to connect
 * there (`HostName`) instead of resolving the repository's host again on the server (DNS rebinding), and to look
 * the host key up under the name it is pinned as (`HostKeyAlias`, the known_hosts name `[host]:port`).
 */
export interface SshGitPin {
  readonly address: string;
  readonly hostKeyAlias: string;
}

export interface DeployKeyFetch {
  readonly knownHosts: string;
  readonly publicKey: string;
  readonly pin?: SshGitPin;
}

/** The OpenSSH client a fetch over SSH uses: no user or system config, the pinned host key only, no prompts. */
export function gitSshCommand(o: DeployKeyFetch): string {
  const pinned = o.pin
    ? ['-o', `HostName=${o.pin.address}`, '-o', `HostKeyAlias=${o.pin.hostKeyAlias}`, '-o', 'CheckHostIP=no']
    : [];
  return [
    'ssh',
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${o.knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'UpdateHostKeys=no',
    // The deploy key is in the fetch's own agent; its public half selects it and nothing else is offered.
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `IdentityFile=${o.publicKey}`,
    '-o',
    'ConnectTimeout=20',
    ...pinned,
  ]
    .map(quote)
    .join(' ');
}

/**
 * Runs a fetch (`syncBranch`) with an app's deploy key, which arrives on stdin: a private `ssh-agent` lives
 * for the fetch only and holds the key in memory (never written to the server's disk); ssh verifies the git
 * host against the pinned key in `knownHosts`. The agent exits with the fetch; a killed job takes it along
 * (same process group).
 */
export function withDeployKey(fetch: Cmd, o: DeployKeyFetch): Cmd {
  const inner = and(
    exec('ssh-add', '-q', '-'),
    exec(
      'env',
      `GIT_SSH_COMMAND=${gitSshCommand(o)}`,
      'GIT_TERMINAL_PROMPT=0',
      // SSH sources are allowed for this fetch only (syncBranch allows https and local paths).
      'GIT_CONFIG_COUNT=1',
      'GIT_CONFIG_KEY_0=protocol.ssh.allow',
      'GIT_CONFIG_VALUE_0=always',
      'sh',
      '-c',
      render(fetch),
    ),
  );
  return exec('ssh-agent', 'sh', '-c', render(inner));
}

/**
 * Runs a fetch with an https token handed to git by git's own credential cache: the credentials arrive on
 * stdin and go to `git credential-cache store` (a daemon holding them in memory behind a 0700 socket), git
 * asks that helper — so the token is never in a URL, an argv, the environment, `.git/config` or a file. The
 * daemon is told to exit after the fetch, whatever its outcome (and times out by itself).
 */
export function withCredentialCache(fetch: Cmd, o: { socketDir: string }): Cmd {
  const socket = `${o.socketDir}/socket`;
  const cache = (...args: string[]) => exec('git', 'credential-cache', ...args, '--socket', socket);
  const stop = quietErr(cache('exit'));
  const run = and(
    exec('mkdir', '-p', '-m', '700', o.socketDir),
    exec('chmod', '700', o.socketDir),
    exec('git', 'credential-cache', '--timeout', '300', '--socket', socket, 'store'),
    exec(
      'env',
      'GIT_TERMINAL_PROMPT=0',
      // Only this helper: none the server's user may have configured (it would store the token on disk).
      'GIT_CONFIG_COUNT=2',
      'GIT_CONFIG_KEY_0=credential.helper',
      'GIT_CONFIG_VALUE_0=',
      'GIT_CONFIG_KEY_1=credential.helper',
      `GIT_CONFIG_VALUE_1=cache --timeout 300 --socket ${quote(socket)}`,
      'sh',
      '-c',
      render(fetch),
    ),
    stop,
  );
  return or(run, seq(stop, exec('false')));
}

/** What `git credential-cache store` reads: the host (with a non-default port), user and token. */
export function credentialInput(o: { host: string; port: number; username: string; token: string }): string {
  const host = o.port === 443 ? o.host : `${o.host}:${o.port}`;
  return `protocol=https\nhost=${host}\nusername=${o.username}\npassword=${o.token}\n\n`;
}

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
export const lsRemoteBranch = (repo: string, branch: string, pin?: GitPin): Cmd =>
  git(...fetchConfig(pin), 'ls-remote', '--', repo, `refs/heads/${branch}`);

/** The commit id from `lsRemoteBranch` output; null when the branch does not exist. */
export function parseLsRemote(out: string, branch: string): string | null {
  for (const line of out.split('\n')) {
    const [sha, ref] = line.trim().split(/\s+/);
    if (ref === `refs/heads/${branch}` && sha && COMMIT_RE.test(sha)) return sha;
  }
  return null;
}
