#!/usr/bin/env bash
# Automatic security updates. Exit codes: 0 ok, 1 invalid input, 2 install error (retried), 3 configuration error.
set -uo pipefail
AUTO_REBOOT=${AUTO_REBOOT:-false}
REBOOT_TIME=${REBOOT_TIME:-04:00}
MAIL_TO=${MAIL_TO:-}
case $AUTO_REBOOT in true | false) ;; *) echo "AUTO_REBOOT must be true or false" >&2; exit 1 ;; esac
[[ $REBOOT_TIME =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] || { echo "REBOOT_TIME must be HH:MM" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -q || exit 2
apt-get install -y -q unattended-upgrades apt-listchanges || exit 2

cat > /etc/apt/apt.conf.d/20auto-upgrades.tmp <<CONF
// Managed by infrakt (catalog: unattended-upgrades)
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
CONF
{
  echo '// Managed by infrakt (catalog: unattended-upgrades)'
  echo "Unattended-Upgrade::Automatic-Reboot \"$AUTO_REBOOT\";"
  echo "Unattended-Upgrade::Automatic-Reboot-Time \"$REBOOT_TIME\";"
  if [ -n "$MAIL_TO" ]; then echo "Unattended-Upgrade::Mail \"$MAIL_TO\";"; fi
} > /etc/apt/apt.conf.d/52infrakt-unattended.tmp
mv -f /etc/apt/apt.conf.d/20auto-upgrades.tmp /etc/apt/apt.conf.d/20auto-upgrades
mv -f /etc/apt/apt.conf.d/52infrakt-unattended.tmp /etc/apt/apt.conf.d/52infrakt-unattended
# The configuration must parse, or apt itself would be broken.
apt-config dump >/dev/null || exit 3
unattended-upgrade --dry-run >/dev/null 2>&1 || { echo "unattended-upgrade --dry-run fails with this configuration" >&2; exit 3; }
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl enable --now apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1 || exit 3
fi
echo "automatic security updates enabled (reboot: $AUTO_REBOOT)"
exit 0
