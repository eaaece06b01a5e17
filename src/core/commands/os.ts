// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell scripts below use ${var%%pattern} expansions, not JS templates
import { and, type Cmd, exec, not, or, toFile } from '../cmd/index.js';

// One round trip: os-release, then our own markers (uid, and the server side of the SSH connection,
// whose port is the one the firewall must keep open even when a NAT maps another port outside).
const DETECT_SCRIPT =
  'cat /etc/os-release 2>/dev/null; echo; echo "INFRAKT_UID=$(id -u)"; echo "INFRAKT_SSH_CONNECTION=$SSH_CONNECTION"';

export const detect = (): Cmd => exec('sh', '-c', DETECT_SCRIPT);

/** Exit 0 when the file has exactly the content given on stdin. */
export const fileMatches = (path: string): Cmd => exec('cmp', '-s', '-', path);

/** Writes stdin to `path` only when it does not exist yet (temp file + rename: never half-written). */
export const writeIfMissing = (path: string, mode: string): Cmd =>
  or(
    exec('test', '-s', path),
    and(toFile(exec('cat'), `${path}.tmp`), exec('chmod', mode, `${path}.tmp`), exec('mv', '-f', `${path}.tmp`, path)),
  );

/** Copies a file aside once (`<path>.infrakt-orig`) before infrakt replaces it; nothing when absent. */
export const keepOriginal = (path: string): Cmd =>
  or(
    exec('test', '-e', `${path}.infrakt-orig`),
    not(exec('test', '-f', path)),
    exec('cp', '-p', '--', path, `${path}.infrakt-orig`),
  );

export interface DirSpec {
  readonly path: string;
  readonly owner: string;
  readonly group: string;
  /** Octal, as `stat -c %a` prints it: `755`, `700`. */
  readonly mode: string;
}

// Exit 0 when every `path|owner:group:mode` matches; else the first mismatch on stdout, exit 1.
const DIRS_SCRIPT =
  'for s do p=${s%%|*}; w=${s#*|}; h=$(stat -c %U:%G:%a "$p" 2>/dev/null) || h=absent; ' +
  '[ -d "$p" ] && [ "$h" = "$w" ] || { echo "$p: $h, want $w"; exit 1; }; done';

export const dirsMatch = (dirs: readonly DirSpec[]): Cmd =>
  exec('sh', '-c', DIRS_SCRIPT, 'sh', ...dirs.map((d) => `${d.path}|${d.owner}:${d.group}:${d.mode}`));

export const installDir = (d: DirSpec): Cmd =>
  exec('install', '-d', '-o', d.owner, '-g', d.group, '-m', d.mode, d.path);

/** Exit 0 when the user is in the group. */
export const inGroup = (user: string, group: string): Cmd =>
  exec('sh', '-c', 'id -nG -- "$1" | tr " " "\\n" | grep -qxF "$2"', 'sh', user, group);

export const addToGroup = (user: string, group: string): Cmd => exec('usermod', '-aG', group, user);

// Ports reachable from outside. Docker publishes through its own iptables chains, before ufw sees
// the packet: a container port published on a public address is open whatever ufw says, so those
// fail the check (exit 3). Other public listeners are only reported: ufw drops them.
// Allowed ports are the arguments.
const EXPOSURE_SCRIPT = [
  'allowed=" $* "; bad=0',
  'if command -v docker >/dev/null 2>&1; then',
  '  for e in $(docker ps --format \'{{.Names}}={{.Ports}}\' | awk -F= \'{ n = $1; sub(/^[^=]*=/, ""); gsub(/, /, ","); c = split($0, a, ","); for (i = 1; i <= c; i++) if (a[i] ~ /->/) print n "=" a[i] }\'); do',
  '    n=${e%%=*}; m=${e#*=}; h=${m%%->*}; port=${h##*:}; ip=${h%:*}',
  '    case $ip in 127.*|::1|"[::1]") continue ;; esac',
  '    case $allowed in *" $port "*) continue ;; esac',
  '    echo "exposed: $h published by container $n (Docker bypasses ufw)"; bad=3',
  '  done',
  'fi',
  'ss -Hltnu 2>/dev/null | awk \'{ print $1 " " $5 }\' | while read -r proto addr; do',
  '  port=${addr##*:}; ip=${addr%:*}',
  '  case $ip in 127.*|"[::1]"|::1|*%lo) continue ;; esac',
  '  case $allowed in *" $port "*) continue ;; esac',
  '  echo "listening: $proto $addr (not allowed by ufw)"',
  'done',
  'exit $bad',
].join('\n');

export const EXPOSED_EXIT = 3;
export const exposure = (allowedPorts: readonly number[]): Cmd =>
  exec('sh', '-c', EXPOSURE_SCRIPT, 'sh', ...allowedPorts.map(String));

/** Silences stdout of a command whose exit code is the answer. */
export const silent = (cmd: Cmd): Cmd => toFile(cmd, '/dev/null');
