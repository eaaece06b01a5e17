#!/usr/bin/env bash
set -u
command -v restic >/dev/null || exit 1
systemctl is-enabled --quiet infrakt-restic.timer 2>/dev/null || exit 1
[ "$(cat /etc/infrakt-restic/password 2>/dev/null)" = "${RESTIC_PASSWORD:-}" ] || exit 1
grep -qxF "RESTIC_REPOSITORY=${RESTIC_REPOSITORY:-}" /etc/infrakt-restic/env || exit 1
grep -qxF "BACKUP_PATHS=${BACKUP_PATHS:-}" /etc/infrakt-restic/env || exit 1
grep -qxF "KEEP_DAILY=${KEEP_DAILY:-}" /etc/infrakt-restic/env || exit 1
grep -qxF "OnCalendar=${BACKUP_SCHEDULE:-}" /etc/systemd/system/infrakt-restic.timer || exit 1
exit 0
