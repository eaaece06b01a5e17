#!/usr/bin/env bash
# Undoes install.sh's settings: infrakt's NTP server list goes and systemd-timesyncd falls back to the
# distribution's servers. The service and package stay (a server without time sync breaks TLS and TOTP), and so
# does the time zone (the one before the install is not known). Exit codes: 0 removed, 3 needs a look.
set -uo pipefail
conf=/etc/systemd/timesyncd.conf.d/60-infrakt.conf
if [ -e "$conf" ]; then
  rm -f "$conf" || exit 3
  # Only a running timesyncd has the old list loaded (it may be absent, or skip itself in a container).
  if command -v systemctl >/dev/null && systemctl is-active --quiet systemd-timesyncd 2>/dev/null; then
    systemctl restart systemd-timesyncd || exit 3
  fi
fi
echo "time sync settings of infrakt removed (the distribution's NTP servers apply)"
exit 0
