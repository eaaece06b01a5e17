#!/usr/bin/env bash
# NTP with systemd-timesyncd. Exit codes: 0 ok, 1 invalid input, 2 install error (retried), 3 configuration error.
set -uo pipefail
SERVERS=${NTP_SERVERS:-}
TZ_NAME=${TIMEZONE:-UTC}
[[ $SERVERS =~ ^[A-Za-z0-9.-]+( [A-Za-z0-9.-]+)*$ ]] || { echo "NTP_SERVERS must be host names" >&2; exit 1; }
[ -e "/usr/share/zoneinfo/$TZ_NAME" ] && [[ $TZ_NAME != *..* ]] || { echo "unknown time zone $TZ_NAME" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
if ! dpkg-query -W -f='${Status}' systemd-timesyncd 2>/dev/null | grep -q 'install ok installed'; then
  apt-get update -q || exit 2
  apt-get install -y -q systemd-timesyncd || exit 2
fi
mkdir -p /etc/systemd/timesyncd.conf.d
printf '# Managed by infrakt (catalog: timesync)\n[Time]\nNTP=%s\n' "$SERVERS" > /etc/systemd/timesyncd.conf.d/60-infrakt.conf
ln -sf "/usr/share/zoneinfo/$TZ_NAME" /etc/localtime && echo "$TZ_NAME" > /etc/timezone
systemctl enable systemd-timesyncd >/dev/null 2>&1 || exit 3
systemctl restart systemd-timesyncd || exit 3
timedatectl set-ntp true 2>/dev/null || true
echo "time sync: $SERVERS ($TZ_NAME)"
exit 0
