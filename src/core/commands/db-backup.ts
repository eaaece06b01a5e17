import { type Cmd, exec, render } from '../cmd/index.js';
import { quote } from '../cmd/render.js';
// The one path a backup shares with the database's other files: dbLayout is the single place it is named.
import { dbLayout } from '../plans/db-compose.js';
import type { DbType } from '../schemas/app.js';
import { dump, verify } from './db-dump.js';
import { DB_ENGINES } from './db-engines.js';

/*
 * The backup script's protocol, written and read here only. The script (run by `db backup` and the schedule):
 * - prints `pruned <file>` per removed backup, then `BACKUP <file> <size> <sha256>` as its last line on success;
 * - prints `backup failed: <reason>` on stderr and exits non-zero on failure;
 * - writes `<file>.json` (the sidecar: size, sha256, createdAt, trigger) beside each backup it keeps;
 * - writes `last-manual.json` / `last-schedule.json` with the result of the last run of each trigger.
 * The readers below (run output, directory listing, sidecar, last scheduled runs) parse exactly that.
 */

/** Backup files: `<UTC timestamp>.<ext>` (sorting by name sorts by time), each with a `<file>.json` sidecar. */
export const BACKUP_FILE_RE = /^\d{8}T\d{6}Z\.(dump|sql\.gz|rdb\.gz|archive\.gz)$/;

export interface BackupScriptInput {
  readonly name: string;
  readonly type: DbType;
  readonly root: string;
}

/**
 * The self-contained backup script infrakt writes to `<root>/backups/<name>/backup.sh`; both `db backup` and the
 * schedule run it, so a scheduled backup is exactly a manual one. It dumps inside the container into a temp file,
 * compresses, verifies, records size and sha256 in a sidecar, renames into place, prunes to `keep`, and writes the
 * run's result to `last-<trigger>.json`. Any failure exits 1 with the reason on stderr and leaves no partial file.
 *
 * The script body is constant; the database's values are quoted assignments at the top, and the dump/verify
 * commands are Cmds rendered with POSIX quoting. No secret is in it: dumps use the container's own environment.
 */
export function renderBackupScript(i: BackupScriptInput): string {
  const l = dbLayout(i.root, i.name);
  const e = DB_ENGINES[i.type];
  const raw = `${l.backupsDir}/.partial.raw`;
  const ready = `${l.backupsDir}/.partial.${e.ext}`;
  const vars = {
    DIR: l.backupsDir,
    CONTAINER: l.container,
    DBTYPE: i.type,
    EXT: e.ext,
    RAW: raw,
    READY: ready,
    GZIP: e.gzip ? '1' : '0',
  };
  return [
    '#!/bin/sh',
    `# Written by infrakt for database ${i.name} (${i.type}); rewritten on every backup or schedule change.`,
    '# usage: backup.sh manual|schedule [keep]   (keep: how many backups to keep; 0 = all)',
    'set -u',
    ...Object.entries(vars).map(([k, v]) => `${k}=${quote(v)}`),
    `dump_db() { ${render(dump(i.type, l.container, i.name))}; }`,
    `verify_backup() { ${render(verify(i.type, ready, l.container))}; }`,
    SCRIPT_BODY,
  ].join('\n');
}

// Constant text: no value of the database appears below (they are the variables above).
const SCRIPT_BODY = String.raw`trigger=${'$'}{1:-manual}
keep=${'$'}{2:-0}
case $trigger in manual | schedule) ;; *) echo "usage: backup.sh manual|schedule [keep]" >&2; exit 2 ;; esac
case $keep in '' | *[!0-9]*) echo "keep must be a whole number" >&2; exit 2 ;; esac
umask 077
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
started=$(now)
locked=0
status() {
  printf '{"trigger":"%s","status":"%s","startedAt":"%s","finishedAt":"%s","message":"%s","file":"%s"}\n' \
    "$trigger" "$1" "$started" "$(now)" "$2" "${'$'}{3:-}" >"$DIR/.last-$trigger.json.tmp" &&
    mv -f "$DIR/.last-$trigger.json.tmp" "$DIR/last-$trigger.json"
}
cleanup() {
  rm -f "$RAW" "$READY"
  if [ "$locked" = 1 ]; then rm -rf "$DIR/.lock"; fi
}
fail() {
  echo "backup failed: $1" >&2
  status failed "$1"
  cleanup
  exit 1
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM HUP
mkdir -p "$DIR" || { echo "backup failed: cannot create $DIR" >&2; exit 1; }
if ! mkdir "$DIR/.lock" 2>/dev/null; then
  pid=$(cat "$DIR/.lock/pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then fail "another backup of this database is running"; fi
  rm -rf "$DIR/.lock"
  mkdir "$DIR/.lock" 2>/dev/null || fail "cannot take the backup lock"
fi
locked=1
echo $$ >"$DIR/.lock/pid"
rm -f "$RAW" "$READY"
[ "$(docker inspect --format '{{.State.Running}}' "$CONTAINER" 2>/dev/null)" = true ] ||
  fail "the database container is not running"
dump_db >"$RAW"
rc=$?
[ "$rc" -eq 0 ] || fail "the dump exited with status $rc"
[ -s "$RAW" ] || fail "the dump is empty"
if [ "$GZIP" = 1 ]; then
  gzip -n -c "$RAW" >"$READY" || fail "compression failed"
  rm -f "$RAW"
else
  mv -f "$RAW" "$READY" || fail "cannot move the dump"
fi
verify_backup || fail "verification of the $DBTYPE backup failed"
size=$(wc -c <"$READY" | tr -d ' ')
sha=$(sha256sum "$READY" | cut -d ' ' -f 1)
[ -n "$sha" ] || fail "sha256sum failed"
ts=$(date -u +%Y%m%dT%H%M%SZ)
while [ -e "$DIR/$ts.$EXT" ]; do
  sleep 1
  ts=$(date -u +%Y%m%dT%H%M%SZ)
done
file="$ts.$EXT"
printf '{"file":"%s","type":"%s","size":%s,"sha256":"%s","createdAt":"%s","trigger":"%s","verified":true}\n' \
  "$file" "$DBTYPE" "$size" "$sha" "$(now)" "$trigger" >"$DIR/.$file.json.tmp" || fail "cannot write the sidecar"
mv -f "$DIR/.$file.json.tmp" "$DIR/$file.json" || fail "cannot write the sidecar"
mv -f "$READY" "$DIR/$file" || fail "cannot move the backup into place"
if [ "$keep" -gt 0 ]; then
  ls -1 "$DIR" | grep -E '^[0-9]{8}T[0-9]{6}Z\.[a-z.]+$' | grep -v '\.json$' | sort -r | tail -n +$((keep + 1)) |
    while read -r old; do
      rm -f "$DIR/$old" "$DIR/$old.json"
      echo "pruned $old"
    done
fi
status ok "" "$file"
echo "BACKUP $file $size $sha"
`;

/** `backup.sh manual <keep>`: one backup now, keeping the newest `keep` (0 = all). */
export function runBackupScript(script: string, keep: number): Cmd {
  return exec('sh', script, 'manual', String(keep));
}

export interface BackupRunOutput {
  /** From the final `BACKUP` line; null when the script did not report a backup. */
  readonly done: { readonly file: string; readonly size: number; readonly sha256: string } | null;
  /** The last `backup failed: <reason>` the script gave. */
  readonly failure: string | null;
  /** Backups removed to honour `keep`. */
  readonly pruned: string[];
}

const DONE_LINE = /^BACKUP (\S+) (\d+) ([0-9a-f]{64})$/;
const FAILED = 'backup failed: ';
const PRUNED = 'pruned ';

/** Reads a run's output lines (stdout and stderr together). */
export function parseBackupRun(lines: readonly string[]): BackupRunOutput {
  const m = lines.map((x) => DONE_LINE.exec(x)).find(Boolean);
  const failure = lines
    .filter((x) => x.startsWith(FAILED))
    .at(-1)
    ?.slice(FAILED.length);
  return {
    done: m ? { file: m[1] ?? '', size: Number(m[2] ?? '0'), sha256: m[3] ?? '' } : null,
    failure: failure ?? null,
    pruned: lines.filter((x) => x.startsWith(PRUNED)).map((x) => x.slice(PRUNED.length)),
  };
}

/** The result of the last run of a trigger, as the script writes it to `last-<trigger>.json`. */
export interface LastRun {
  trigger: 'manual' | 'schedule';
  status: 'ok' | 'failed';
  startedAt: string;
  finishedAt: string;
  message: string;
  file: string;
}

/** A backup file of the directory, with what its sidecar records (nulls and unverified without one). */
export interface BackupEntry {
  /** File name, e.g. `20261122T031500Z.dump` (what `db restore` and `--download` take). */
  name: string;
  size: number | null;
  sha256: string | null;
  createdAt: string | null;
  trigger: string | null;
  /** Verified when it was taken (the sidecar exists); false for a file without one. */
  verified: boolean;
}

export interface BackupListing {
  /** Newest first. */
  backups: BackupEntry[];
  lastManual: LastRun | null;
  lastScheduled: LastRun | null;
}

// Prints every sidecar/status JSON (one line each) and every backup file name, in one round trip. `$(head …)`
// ends each JSON line itself, so a truncated sidecar (no final newline) cannot swallow the next entry.
const LIST_SCRIPT =
  'cd "$1" 2>/dev/null || exit 0; for f in *; do [ -f "$f" ] || continue; case $f in *.json) printf "J %s %s\\n" "$f" "$(head -n 1 "$f")";; *) printf "F %s\\n" "$f";; esac; done';

/** Lists a backups directory (a missing directory lists as empty). */
export function listBackupDir(dir: string): Cmd {
  return exec('sh', '-c', LIST_SCRIPT, 'sh', dir);
}

export function parseBackupListing(stdout: string): BackupListing {
  const files = new Set<string>();
  const json = new Map<string, unknown>();
  for (const line of stdout.split('\n')) {
    if (line.startsWith('F ')) files.add(line.slice(2));
    else if (line.startsWith('J ')) {
      const sp = line.indexOf(' ', 2);
      try {
        json.set(line.slice(2, sp), JSON.parse(line.slice(sp + 1)));
      } catch {
        // a damaged sidecar: the file shows as unverified
      }
    }
  }
  const backups = [...files]
    .filter((f) => BACKUP_FILE_RE.test(f))
    .sort()
    .reverse()
    .map((f): BackupEntry => {
      const meta = json.get(`${f}.json`) as
        | Partial<{ size: number; sha256: string; createdAt: string; trigger: string }>
        | undefined;
      return {
        name: f,
        size: meta?.size ?? null,
        sha256: meta?.sha256 ?? null,
        createdAt: meta?.createdAt ?? null,
        trigger: meta?.trigger ?? null,
        verified: meta !== undefined,
      };
    });
  return {
    backups,
    lastManual: lastRun(json.get('last-manual.json')),
    lastScheduled: lastRun(json.get('last-schedule.json')),
  };
}

function lastRun(v: unknown): LastRun | null {
  if (!v || typeof v !== 'object') return null;
  return v as LastRun;
}

/** What a backup's `<file>.json` sidecar records about it. */
export interface BackupSidecar {
  sha256?: string;
  size?: number;
}

/** A sidecar's content; null when it is not a JSON object (damaged: the backup cannot be checked). */
export function parseSidecar(text: string): BackupSidecar | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as BackupSidecar) : null;
  } catch {
    return null;
  }
}

export interface ScheduledStatus {
  status: 'ok' | 'failed' | 'never' | 'unknown';
  at: string | null;
  message: string | null;
}

// One line per directory: its last-schedule.json (first line), or an empty line when there is none.
const READ_LAST_SCHEDULED = 'for d in "$@"; do head -n 1 "$d/last-schedule.json" 2>/dev/null || echo; done';

/** The last scheduled run of each backups directory, in one command. */
export function readLastScheduledRuns(dirs: readonly string[]): Cmd {
  return exec('sh', '-c', READ_LAST_SCHEDULED, 'sh', ...dirs);
}

/** One status per directory given to `readLastScheduledRuns`, in the same order. */
export function parseLastScheduledRuns(stdout: string, count: number): ScheduledStatus[] {
  const lines = stdout.split('\n');
  return Array.from({ length: count }, (_, i) => scheduleStatus(lines[i] ?? ''));
}

function scheduleStatus(line: string): ScheduledStatus {
  if (!line.trim()) return { status: 'never', at: null, message: null };
  try {
    const j = JSON.parse(line) as { status?: string; finishedAt?: string; message?: string };
    return { status: j.status === 'ok' ? 'ok' : 'failed', at: j.finishedAt ?? null, message: j.message || null };
  } catch {
    return { status: 'unknown', at: null, message: 'unreadable status file' };
  }
}
