#!/usr/bin/env bash
# restic backups on a systemd timer. Exit codes: 0 ok, 1 invalid input, 2 install error (retried), 3 configuration error.
set -uo pipefail
REPO=${RESTIC_REPOSITORY:-}
PASS=${RESTIC_PASSWORD:-}
PATHS=${BACKUP_PATHS:-}
WHEN=${BACKUP_SCHEDULE:-*-*-* 03:30:00}
KEEP=${KEEP_DAILY:-7}
[ -n "$REPO" ] || { echo "RESTIC_REPOSITORY is required" >&2; exit 1; }
[ ${#PASS} -ge 16 ] || { echo "RESTIC_PASSWORD must be at least 16 characters" >&2; exit 1; }
[[ $KEEP =~ ^[0-9]+$ ]] || { echo "KEEP_DAILY must be a number" >&2; exit 1; }
[[ $PATHS =~ ^/[A-Za-z0-9._/-]*( /[A-Za-z0-9._/-]*)*$ ]] || { echo "BACKUP_PATHS must be absolute paths" >&2; exit 1; }
systemd-analyze calendar "$WHEN" >/dev/null 2>&1 || { echo "BACKUP_SCHEDULE is not a systemd calendar expression" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
if ! command -v restic >/dev/null; then
  apt-get update -q || exit 2
  apt-get install -y -q restic || exit 2
fi
install -d -m 700 /etc/infrakt-restic
umask 077
# The password lives in a root-only file; unit files and command lines never carry it.
printf '%s' "$PASS" > /etc/infrakt-restic/password
{
  echo "RESTIC_REPOSITORY=$REPO"
  echo "RESTIC_PASSWORD_FILE=/etc/infrakt-restic/password"
  echo "BACKUP_PATHS=$PATHS"
  echo "KEEP_DAILY=$KEEP"
} > /etc/infrakt-restic/env
case $REPO in /*) install -d -m 700 "$REPO" ;; esac
export RESTIC_REPOSITORY=$REPO RESTIC_PASSWORD_FILE=/etc/infrakt-restic/password
if ! restic cat config >/dev/null 2>&1; then
  restic init || exit 2
fi
cat > /etc/systemd/system/infrakt-restic.service <<UNIT
[Unit]
Description=restic backup (infrakt catalog: restic-backup)
After=network-online.target
[Service]
Type=oneshot
EnvironmentFile=/etc/infrakt-restic/env
ExecStart=/bin/sh -c 'restic backup --one-file-system \$BACKUP_PATHS && restic forget --prune --keep-daily \$KEEP_DAILY'
UNIT
cat > /etc/systemd/system/infrakt-restic.timer <<UNIT
[Unit]
Description=restic backup schedule (infrakt)
[Timer]
OnCalendar=$WHEN
Persistent=true
[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload || exit 3
systemctl enable --now infrakt-restic.timer >/dev/null 2>&1 || exit 3
echo "restic: $REPO, paths $PATHS, $WHEN, keep $KEEP daily"
exit 0
