#!/usr/bin/env bash
# Automatic security updates. Exit codes: 0 ok, 1 invalid input, 2 install error (retried), 3 configuration error.
set -uo pipefail
AUTO_REBOOT=${AUTO_REBOOT:-false}
REBOOT_TIME=${REBOOT_TIME:-04:00}
MAIL_TO=${MAIL_TO:-}
case $AUTO_REBOOT in true | false) ;; *) echo "AUTO_REBOOT must be true or false" >&2; exit 1 ;; esac
[[ $REBOOT_TIME =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] || { echo "REBOOT_TIME must be HH:MM" >&2; exit 1; }

# What this install adds is recorded on the server (root only), so uninstall.sh undoes that and nothing the server
# had before (Debian and Ubuntu images often ship unattended-upgrades and their own 20auto-upgrades): packages it
# installed, timers it enabled, originals of the files it replaced. A second install keeps the first one's record.
STATE=/var/lib/infrakt/catalog/unattended-upgrades
MARK='Managed by infrakt (catalog: unattended-upgrades)'
install -d -m 700 "$STATE" "$STATE/backup" || exit 3
note() { grep -qxF -- "$2" "$STATE/$1" 2>/dev/null || echo "$2" >>"$STATE/$1"; }
keep() { # the original of $1 backed up once (infrakt's own file from an older install counts as none)
  grep -qxF -- "$1" "$STATE/files" 2>/dev/null && return 0
  if [ -e "$1" ] && ! grep -qsF "$MARK" "$1"; then
    mkdir -p "$STATE/backup$(dirname "$1")" && cp -a "$1" "$STATE/backup$1" || return 1
  fi
  echo "$1" >>"$STATE/files"
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
# Before apt: the package's postinst may write 20auto-upgrades itself.
keep /etc/apt/apt.conf.d/20auto-upgrades || exit 3
keep /etc/apt/apt.conf.d/52infrakt-unattended || exit 3
missing=()
for p in unattended-upgrades apt-listchanges; do
  installed "$p" || { note packages "$p"; missing+=("$p"); }
done
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q || exit 2
  apt-get install -y -q "${missing[@]}" || exit 2
fi

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
  for t in apt-daily.timer apt-daily-upgrade.timer; do
    systemctl is-enabled --quiet "$t" 2>/dev/null || note enabled "$t"
  done
  systemctl enable --now apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1 || exit 3
fi
echo "automatic security updates enabled (reboot: $AUTO_REBOOT)"
exit 0
