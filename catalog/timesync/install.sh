#!/usr/bin/env bash
# NTP with systemd-timesyncd. Exit codes: 0 ok, 1 invalid input, 2 install error (retried), 3 configuration error.
set -uo pipefail
SERVERS=${NTP_SERVERS:-}
TZ_NAME=${TIMEZONE:-UTC}
[[ $SERVERS =~ ^[A-Za-z0-9.-]+( [A-Za-z0-9.-]+)*$ ]] || { echo "NTP_SERVERS must be host names" >&2; exit 1; }
[ -e "/usr/share/zoneinfo/$TZ_NAME" ] && [[ $TZ_NAME != *..* ]] || { echo "unknown time zone $TZ_NAME" >&2; exit 1; }

# What this install changes is recorded on the server (root only), so uninstall.sh puts back what the server had:
# the time zone files' originals and any file of the same name as infrakt's settings. A second install keeps the
# first one's record.
STATE=/var/lib/infrakt/catalog/timesync
MARK='Managed by infrakt (catalog: timesync)'
CONF=/etc/systemd/timesyncd.conf.d/60-infrakt.conf
install -d -m 700 "$STATE" "$STATE/backup" || exit 3
note() { grep -qxF -- "$2" "$STATE/$1" 2>/dev/null || echo "$2" >>"$STATE/$1"; }
keep() { # the original of $1 backed up once (infrakt's own file from an older install counts as none)
  grep -qxF -- "$1" "$STATE/files" 2>/dev/null && return 0
  if { [ -e "$1" ] || [ -L "$1" ]; } && ! grep -qsF "$MARK" "$1"; then
    mkdir -p "$STATE/backup$(dirname "$1")" && cp -a "$1" "$STATE/backup$1" || return 1
  fi
  echo "$1" >>"$STATE/files"
}

export DEBIAN_FRONTEND=noninteractive
if ! dpkg-query -W -f='${Status}' systemd-timesyncd 2>/dev/null | grep -q 'install ok installed'; then
  # systemd-timesyncd conflicts with every other time daemon: apt would remove the one the server runs.
  other=$(dpkg-query -W -f='${Package}\t${Status}\t${Provides}\n' 2>/dev/null |
    awk -F'\t' '$2 ~ /install ok installed/ && $3 ~ /(^|[ ,])time-daemon([ ,(]|$)/ && $1 != "systemd-timesyncd" { print $1 }')
  if [ -n "$other" ]; then
    echo "this server keeps its time with $(echo $other): installing systemd-timesyncd would remove it;" \
      "keep it, or remove it yourself and install again" >&2
    exit 3
  fi
  note packages systemd-timesyncd
  apt-get update -q || exit 2
  apt-get install -y -q systemd-timesyncd || exit 2
fi
keep "$CONF" || exit 3
keep /etc/localtime || exit 3
keep /etc/timezone || exit 3
mkdir -p /etc/systemd/timesyncd.conf.d
printf '# %s\n[Time]\nNTP=%s\n' "$MARK" "$SERVERS" >"$CONF.tmp" && mv -f "$CONF.tmp" "$CONF" || exit 3
ln -sf "/usr/share/zoneinfo/$TZ_NAME" /etc/localtime && echo "$TZ_NAME" >/etc/timezone
systemctl enable systemd-timesyncd >/dev/null 2>&1 || exit 3
systemctl restart systemd-timesyncd || exit 3
timedatectl set-ntp true 2>/dev/null || true
echo "time sync: $SERVERS ($TZ_NAME)"
exit 0
