// Host entries: a non-interactive script run on the server with its inputs as environment variables.
// The contract (exit codes, retries, OS check, `check.sh` for "unchanged") as pure functions and commands.
import { and, sudo as asRoot, type Cmd, exec } from '../cmd/index.js';
import { quote } from '../cmd/render.js';
import type { OsRelease } from '../plans/provision-os.js';
import type { CatalogManifest } from './manifest-schema.js';

export const EXIT_OK = 0;
export const EXIT_INVALID_INPUT = 1;
export const EXIT_INSTALL_ERROR = 2;
export const EXIT_CONFIG_ERROR = 3;
export const EXIT_TIMEOUT = 124;

/** What an installer's exit code means, for people (CLI, job log, dashboard). */
export function exitMeaning(code: number): string {
  switch (code) {
    case EXIT_OK:
      return 'success';
    case EXIT_INVALID_INPUT:
      return 'invalid input: fix the values and run again (not retried)';
    case EXIT_INSTALL_ERROR:
      return 'install error (retried with backoff)';
    case EXIT_CONFIG_ERROR:
      return 'configuration error: needs manual intervention on the server';
    case EXIT_TIMEOUT:
      return 'timed out: the installer and everything it started were stopped (raise timeout_seconds if it needs longer)';
    default:
      return `unexpected exit code ${code} (installers exit 0, 1, 2 or 3)`;
  }
}

/** Only an install error is worth another attempt. */
export const retryable = (code: number): boolean => code === EXIT_INSTALL_ERROR;

/** Seconds to wait before retry number `n` (1-based): backoff, 2×backoff, 4×backoff … capped at 10 minutes. */
export function retryDelaySeconds(backoffSeconds: number, n: number): number {
  return Math.min(600, backoffSeconds * 2 ** (n - 1));
}

function versionAtLeast(have: string, want: string): boolean {
  const a = have.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const b = want.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** Null when the system is supported, else why not (checked before anything is uploaded or run). */
export function osMismatch(m: Pick<CatalogManifest, 'os'>, os: OsRelease): string | null {
  const reqs = m.os ?? [];
  if (reqs.length === 0) return null;
  const ok = reqs.some((r) => r.id === os.id && (!r.min_version || versionAtLeast(os.versionId, r.min_version)));
  if (ok) return null;
  const want = reqs.map((r) => `${r.id}${r.min_version ? ` ≥ ${r.min_version}` : ''}`).join(' or ');
  return `needs ${want}; the server runs ${os.pretty || `${os.id} ${os.versionId}`}`;
}

export interface InstallerLayout {
  readonly dir: string;
  readonly envFile: string;
  readonly script: (name: string) => string;
}

/** Where a host entry's scripts live on the server while they run. */
export function installerLayout(root: string, id: string): InstallerLayout {
  const dir = `${root}/catalog/${id}`;
  return { dir, envFile: `${dir}/.env`, script: (name) => `${dir}/${name}` };
}

/**
 * The environment file the wrapper sources: one `NAME='value'` a line with POSIX quoting, so sourcing it
 * assigns values and runs nothing. It travels as file content (0600), never on a command line.
 */
export function renderInstallerEnv(env: Readonly<Record<string, string>>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`invalid environment name: ${k}`);
    lines.push(`${k}=${v === '' ? "''" : quote(v)}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

// Sources the env file and removes it at once (the values now live only in this process), then runs the
// script with no stdin. Constant text: paths come as positional parameters, never inside the script.
const WRAPPER = 'set -a; . "$1"; set +a; rm -f -- "$1"; cd "$2" || exit 3; exec bash "$3" </dev/null';
const CLEAN_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Runs one script of the entry in a clean environment (`env -i`), as root (sudo when the user is not). */
export function runScript(l: InstallerLayout, script: string, opts: { sudo: boolean }): Cmd {
  const cmd = exec(
    'env',
    '-i',
    CLEAN_PATH,
    'HOME=/root',
    'LANG=C.UTF-8',
    'DEBIAN_FRONTEND=noninteractive',
    'sh',
    '-c',
    WRAPPER,
    'infrakt-installer',
    l.envFile,
    l.dir,
    l.script(script),
  );
  return opts.sudo ? asRoot(cmd) : cmd;
}

/** The working directory, private to root. */
export const prepareDir = (l: InstallerLayout): Cmd => and(exec('mkdir', '-p', l.dir), exec('chmod', '700', l.dir));
