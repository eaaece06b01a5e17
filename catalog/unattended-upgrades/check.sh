#!/usr/bin/env bash
# Exit 0 when automatic updates are installed and configured with these values.
set -u
dpkg-query -W -f='${Status}' unattended-upgrades 2>/dev/null | grep -q 'install ok installed' || exit 1
grep -qx 'APT::Periodic::Unattended-Upgrade "1";' /etc/apt/apt.conf.d/20auto-upgrades 2>/dev/null || exit 1
f=/etc/apt/apt.conf.d/52infrakt-unattended
grep -qx "Unattended-Upgrade::Automatic-Reboot \"${AUTO_REBOOT:-false}\";" "$f" 2>/dev/null || exit 1
grep -qx "Unattended-Upgrade::Automatic-Reboot-Time \"${REBOOT_TIME:-04:00}\";" "$f" || exit 1
if [ -n "${MAIL_TO:-}" ]; then grep -qx "Unattended-Upgrade::Mail \"$MAIL_TO\";" "$f" || exit 1
else ! grep -q 'Unattended-Upgrade::Mail ' "$f" || exit 1; fi
exit 0
