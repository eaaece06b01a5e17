#!/usr/bin/env bash
set -u
systemctl is-active --quiet systemd-timesyncd || exit 1
grep -qxF "NTP=${NTP_SERVERS:-}" /etc/systemd/timesyncd.conf.d/60-infrakt.conf 2>/dev/null || exit 1
[ "$(cat /etc/timezone 2>/dev/null)" = "${TIMEZONE:-UTC}" ] || exit 1
exit 0
