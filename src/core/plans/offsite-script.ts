import { render } from '../cmd/index.js';
import { quote } from '../cmd/render.js';
import { forget, type ResticRepo, restic, subjectTag } from '../commands/restic.js';
import type { Retention } from '../schemas/backup-target.js';
import { dbLayout } from './db-compose.js';

export interface OffsiteScriptInput {
  readonly name: string;
  readonly root: string;
  /** The infrakt server name: the snapshots' host. */
  readonly host: string;
  readonly target: string;
  readonly repo: ResticRepo;
  readonly retention: Retention | null;
}

/** Where a scheduled off-site push keeps its script and the target's credentials (0700 dir of 0600 files). */
export function offsiteLayout(root: string, name: string) {
  const l = dbLayout(root, name);
  return {
    script: `${l.backupsDir}/offsite.sh`,
    credDir: `${l.backupsDir}/.offsite`,
    status: `${l.backupsDir}/last-offsite.json`,
  };
}

/**
 * The script a schedule runs after a successful backup.sh: pushes the backup that run made (named in
 * `last-schedule.json`) with its sidecar to the target as one snapshot, checks the snapshot holds it, applies
 * retention, and records the result in `last-offsite.json`. Constant body; values are quoted assignments above it,
 * restic commands are rendered Cmds; the credentials are files in the 0700 credentials dir (never in this text).
 */
export function renderOffsiteScript(i: OffsiteScriptInput): string {
  const l = dbLayout(i.root, i.name);
  const o = offsiteLayout(i.root, i.name);
  const tag = subjectTag('db', i.name);
  const vars = { DIR: l.backupsDir, TARGET: i.target, SNAPHOST: i.host, TAG: tag };
  const base = render(restic(i.repo, o.credDir));
  return [
    '#!/bin/sh',
    `# Written by infrakt: pushes each scheduled backup of database ${i.name} to target ${i.target}.`,
    '# usage: offsite.sh [schedule|manual]   (runs after backup.sh; rewritten on every schedule change)',
    'set -u',
    ...Object.entries(vars).map(([k, v]) => `${k}=${quote(v)}`),
    // "$@" appended to a rendered, fully quoted command: the arguments below are constants and quoted variables.
    `repo() { ${base} "$@"; }`,
    `retention() { ${i.retention ? render(restic(i.repo, o.credDir, ...forget(i.retention, { host: i.host, tag }))) : 'true'}; }`,
    BODY,
  ].join('\n');
}

const BODY = String.raw`trigger=${'$'}{1:-schedule}
umask 077
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
started=$(now)
status() {
  printf '{"status":"%s","startedAt":"%s","finishedAt":"%s","message":"%s","snapshot":"%s","target":"%s"}\n' \
    "$1" "$started" "$(now)" "$2" "$3" "$TARGET" >"$DIR/.last-offsite.json.tmp" &&
    mv -f "$DIR/.last-offsite.json.tmp" "$DIR/last-offsite.json"
}
fail() {
  echo "off-site backup failed: $1" >&2
  status failed "$1" ""
  exit 1
}
file=$(sed -n 's/.*"status":"ok".*"file":"\([^"]*\)".*/\1/p' "$DIR/last-$trigger.json" 2>/dev/null)
[ -n "$file" ] && [ -f "$DIR/$file" ] && [ -f "$DIR/$file.json" ] || fail "no verified backup to push"
if ! repo cat config >/dev/null 2>&1; then
  repo init >/dev/null 2>&1 || fail "cannot open the repository of target $TARGET"
fi
out=$(repo backup --json --host "$SNAPHOST" --tag infrakt --tag "$TAG" -- "$DIR/$file" "$DIR/$file.json") ||
  fail "restic backup to $TARGET failed"
snap=$(printf '%s\n' "$out" | sed -n 's/.*"message_type":"summary".*"snapshot_id":"\([0-9a-f]*\)".*/\1/p' | tail -n 1)
[ -n "$snap" ] || fail "restic backup gave no snapshot id"
repo ls "$snap" 2>/dev/null | grep -qxF "$DIR/$file" || fail "snapshot $snap does not hold $file"
retention >/dev/null || fail "retention on $TARGET failed (the backup itself is in snapshot $snap)"
status ok "" "$snap"
echo "OFFSITE $file $snap"
`;
