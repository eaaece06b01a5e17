// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell scripts below use ${var%%pattern} expansions, not JS templates
import { and, type Cmd, exec, quietErr, toFile, withEnv } from '../cmd/index.js';

// Never a prompt: no debconf questions, keep existing config files on upgrades.
const NONINTERACTIVE = { DEBIAN_FRONTEND: 'noninteractive' };
// apt waits this long for a dpkg lock held by another apt (unattended-upgrades on a fresh VM)
// before failing; the plan retries on top of that.
const LOCK_WAIT = ['-o', 'DPkg::Lock::Timeout=60'];

/** apt-get exits 100 for lock contention and mirror/network errors alike: the plan treats it as transient. */
export const APT_TRANSIENT_EXIT = 100;

export const update = (): Cmd => withEnv(exec('apt-get', '-q', ...LOCK_WAIT, 'update'), NONINTERACTIVE);

export const install = (packages: readonly string[]): Cmd =>
  withEnv(
    exec(
      'apt-get',
      '-q',
      '-y',
      ...LOCK_WAIT,
      '-o',
      'Dpkg::Options::=--force-confdef',
      '-o',
      'Dpkg::Options::=--force-confold',
      'install',
      '--no-install-recommends',
      ...packages,
    ),
    NONINTERACTIVE,
  );

// Exit 0 when every package is installed ("ii"); else exit 1 and `missing: a b` on stdout.
// Package names are positional arguments, never part of the script text.
const MISSING_SCRIPT =
  'm=; for p do dpkg-query -W -f=\'${db:Status-Abbrev}\' "$p" 2>/dev/null | grep -q "^ii" || m="$m $p"; done; ' +
  '[ -z "$m" ] && exit 0; echo "missing:$m"; exit 1';

export const allInstalled = (packages: readonly string[]): Cmd => exec('sh', '-c', MISSING_SCRIPT, 'sh', ...packages);

export interface AptRepo {
  /** File stem under /etc/apt/keyrings and /etc/apt/sources.list.d, e.g. `docker`. */
  readonly name: string;
  /** ASCII-armored signing key (kept as `.asc`: apt reads it as is, no gpg needed). */
  readonly keyUrl: string;
  /** The one-line source, with `signed-by=` pointing at the key. */
  readonly line: string;
}

export const repoKeyPath = (repo: AptRepo): string => `/etc/apt/keyrings/${repo.name}.asc`;
export const repoListPath = (repo: AptRepo): string => `/etc/apt/sources.list.d/${repo.name}.list`;

/** Fetches a repository key (curl exit codes 6/7/28/35/56 are network errors: transient). */
export const fetchKey = (repo: AptRepo): Cmd =>
  and(
    exec('install', '-d', '-m', '0755', '/etc/apt/keyrings'),
    exec('curl', '-fsSL', '--retry', '3', '-o', `${repoKeyPath(repo)}.tmp`, repo.keyUrl),
    exec('chmod', '0644', `${repoKeyPath(repo)}.tmp`),
    exec('mv', '-f', `${repoKeyPath(repo)}.tmp`, repoKeyPath(repo)),
  );

export const CURL_TRANSIENT_EXITS = [6, 7, 28, 35, 56] as const;

/** Exit 0 when the key is there (non-empty). */
export const hasKey = (repo: AptRepo): Cmd => exec('test', '-s', repoKeyPath(repo));

/** Silences a check's stdout (its exit code is the answer). */
export const quiet = (cmd: Cmd): Cmd => toFile(quietErr(cmd), '/dev/null');
