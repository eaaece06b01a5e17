#!/usr/bin/env bash
# Undoes install.sh: the timer and service stopped and deleted, so no backup runs any more. Data stays: the
# repository (a local folder or the SFTP server's) is never touched, and the password file stays root-only in
# /etc/infrakt-restic so the snapshots can still be restored. restic itself stays (it may have been there before).
# Exit codes: 0 removed, 3 needs a look.
set -uo pipefail
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl disable --now infrakt-restic.timer >/dev/null 2>&1 || true
  systemctl stop infrakt-restic.service >/dev/null 2>&1 || true
fi
rm -f /etc/systemd/system/infrakt-restic.timer /etc/systemd/system/infrakt-restic.service || exit 3
rm -f /etc/infrakt-restic/env || exit 3
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload || exit 3
fi
echo "restic backups stopped; repository ${RESTIC_REPOSITORY:-} and /etc/infrakt-restic/password kept for restores"
exit 0
