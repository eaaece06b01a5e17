import { z } from 'zod';

// Private git sources: repositories over SSH (with a per-app deploy key) and the pinned host key of the git
// host. Pure parsing and validation; the fetch commands are in core/commands/git.ts.

/** A repository over SSH: `ssh://[user@]host[:port]/path` or the scp-like `[user@]host:path`. */
export interface SshGitRemote {
  readonly user: string | null;
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

const USER_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const HOST_RE =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const PATH_RE = /^[A-Za-z0-9._~+/-]+$/;

/** True when the text is written as an SSH repository (whether or not it is a valid one). */
export function looksLikeSshGit(u: string): boolean {
  if (u.startsWith('ssh://')) return true;
  if (u.includes('://') || u.startsWith('/')) return false;
  const colon = u.indexOf(':');
  // scp-like: something before the first colon, and no slash before it (git's own rule).
  return colon > 0 && !u.slice(0, colon).includes('/');
}

function bad(why: string): never {
  throw new Error(why);
}

function checkPath(path: string): string {
  if (!PATH_RE.test(path)) bad('the repository path may contain only letters, digits, ".", "_", "~", "+", "-" and "/"');
  if (path.split('/').some((s) => s === '..')) bad('the repository path must not contain ".."');
  if (path.startsWith('-') || path.startsWith('/-')) bad('the repository path must not start with "-"');
  return path;
}

function checkUserHost(user: string | null, host: string): void {
  if (user !== null && !USER_RE.test(user)) bad(`'${user}' is not a valid SSH user name`);
  if (!HOST_RE.test(host)) bad(`'${host}' is not a host name or IPv4 address`);
}

/** Parses an SSH repository URL; throws an Error saying what is wrong. */
export function parseSshGitRemote(u: string): SshGitRemote {
  if (/[\s\x00-\x1f\x7f\\]/.test(u)) bad('must not contain spaces, control characters or "\\"');
  if (u.startsWith('ssh://')) {
    const rest = u.slice('ssh://'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) bad('needs a repository path after the host (ssh://git@host/org/repo.git)');
    const authority = rest.slice(0, slash);
    const at = authority.lastIndexOf('@');
    const user = at >= 0 ? authority.slice(0, at) : null;
    const hostPort = authority.slice(at + 1);
    const m = hostPort.match(/^([^:]+)(?::([0-9]{1,5}))?$/);
    if (!m) bad(`'${hostPort}' is not host or host:port`);
    const host = m[1]!.toLowerCase();
    const port = m[2] ? Number(m[2]) : 22;
    if (port < 1 || port > 65535) bad('the port must be between 1 and 65535');
    checkUserHost(user, host);
    return { user, host, port, path: checkPath(rest.slice(slash)) };
  }
  const colon = u.indexOf(':');
  const authority = u.slice(0, colon);
  const at = authority.lastIndexOf('@');
  const user = at >= 0 ? authority.slice(0, at) : null;
  const host = authority.slice(at + 1).toLowerCase();
  checkUserHost(user, host);
  const path = u.slice(colon + 1);
  if (!path) bad('needs a repository path after the colon (git@host:org/repo.git)');
  return { user, host, port: 22, path: checkPath(path) };
}

/** The problem with an SSH repository URL, or null. */
export function sshGitUrlProblem(u: string): string | null {
  try {
    parseSshGitRemote(u);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** `[host]:port` as OpenSSH writes it in known_hosts (plain `host` on port 22). */
export const knownHostsName = (host: string, port: number): string => (port === 22 ? host : `[${host}]:${port}`);

/** A host public key as pinned: `<type> <base64>`. */
const KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;
const KEY_LINE_RE = /^([a-z0-9@.-]+) ([A-Za-z0-9+/]{40,}={0,3})$/;

/**
 * `--git-host-key`: a key as `ssh-keyscan` prints it (`[host] <type> <base64>`, the host is ignored) or the
 * `SHA256:` fingerprint of one. Returns the pinned form.
 */
export function parseGitHostKey(text: string): { key: string } | { fingerprint: string } {
  const t = text.trim();
  if (/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(t)) return { fingerprint: t.replace(/=$/, '') };
  const words = t.split(/\s+/);
  const candidates = words.length >= 3 ? [words.slice(1, 3).join(' '), words.slice(0, 2).join(' ')] : [t];
  for (const c of candidates) {
    const m = c.match(KEY_LINE_RE);
    if (m && (KEY_TYPES as readonly string[]).includes(m[1]!)) return { key: c };
  }
  throw new Error('must be a host key such as "ssh-ed25519 AAAA…" (as ssh-keyscan prints it) or SHA256:<fingerprint>');
}

/** Keys `ssh-keyscan` printed (`host type base64` lines; comments and blank lines skipped), as `type base64`. */
export function parseKeyscan(out: string): string[] {
  const keys: string[] = [];
  for (const line of out.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const words = t.split(/\s+/);
    const key = words.slice(1, 3).join(' ');
    const m = key.match(KEY_LINE_RE);
    if (m && (KEY_TYPES as readonly string[]).includes(m[1]!) && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** An https token (GitHub/GitLab personal access or deploy token): printable, no whitespace. */
export const gitTokenSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'at most 4096 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable characters without spaces or line breaks');

/** The user name a token is sent with (`x-access-token` for GitHub, `oauth2` for GitLab, a deploy token's name). */
export const gitUsernameSchema = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._@+-]+$/, 'may contain letters, digits and . _ @ + -');
