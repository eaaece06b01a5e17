import { render } from '../cmd/index.js';
import { quote } from '../cmd/render.js';
import { dump, verify } from '../commands/db-dump.js';
import { DB_ENGINES } from '../commands/db-engines.js';
import type { DbType } from '../schemas/app.js';
import { dbLayout } from './db-compose.js';

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

/** Unit/cron-file base name for a database's schedule; a hash of the root keeps two roots on one host apart. */
export function scheduleUnit(name: string, rootHash: string): string {
  return `infrakt-backup-${name}-${rootHash.slice(0, 8)}`;
}

/** `offsite`: a script run after a successful backup (pushing it to a target); a failed backup skips it. */
export function renderServiceUnit(i: BackupScriptInput, keep: number, offsite?: string): string {
  const l = dbLayout(i.root, i.name);
  return [
    `# Managed by infrakt: scheduled backup of database ${i.name}.`,
    '[Unit]',
    `Description=infrakt backup of database ${i.name}`,
    'After=docker.service',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=/bin/sh ${l.backupScript} schedule ${keep}`,
    ...(offsite ? [`ExecStart=/bin/sh ${offsite} schedule`] : []),
    '',
  ].join('\n');
}

export function renderTimerUnit(name: string, onCalendar: string): string {
  return [
    `# Managed by infrakt: when to back up database ${name}.`,
    '[Unit]',
    `Description=infrakt backup schedule of database ${name}`,
    '',
    '[Timer]',
    `OnCalendar=${onCalendar}`,
    // A run missed while the server was off happens at the next boot.
    'Persistent=true',
    'RandomizedDelaySec=30',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

/** An /etc/cron.d entry (servers without systemd as PID 1); output appended to `cron.log` beside the backups. */
export function renderCronFile(i: BackupScriptInput, cron: string, keep: number, offsite?: string): string {
  const l = dbLayout(i.root, i.name);
  return [
    `# Managed by infrakt: scheduled backup of database ${i.name}.`,
    'SHELL=/bin/sh',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    offsite
      ? `${cron} root { /bin/sh ${l.backupScript} schedule ${keep} && /bin/sh ${offsite} schedule; } >>${l.backupsDir}/cron.log 2>&1`
      : `${cron} root /bin/sh ${l.backupScript} schedule ${keep} >>${l.backupsDir}/cron.log 2>&1`,
    '',
  ].join('\n');
}
