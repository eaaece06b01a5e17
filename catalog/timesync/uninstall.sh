#!/usr/bin/env bash
# Undoes install.sh's settings, as its record on the server says: infrakt's NTP server list goes (systemd-timesyncd
# falls back to the distribution's servers) and the time zone the server had before is put back. The service and
# package stay (a server without time sync breaks TLS and TOTP). A server installed by an older infrakt has no
# record of the previous time zone: it is left as it is, and this says so. Exit codes: 0 removed, 3 needs a look.
set -uo pipefail
STATE=/var/lib/infrakt/catalog/timesync
MARK='Managed by infrakt (catalog: timesync)'
conf=/etc/systemd/timesyncd.conf.d/60-infrakt.conf
changed=false
if [ -d "$STATE" ] && [ -f "$STATE/files" ]; then
  # Each file install.sh replaced: its original back, or removed when there was none.
  while IFS= read -r f; do
    [ -n "$f" ] || continue
    if [ -e "$STATE/backup$f" ] || [ -L "$STATE/backup$f" ]; then
      cp -a "$STATE/backup$f" "$f.infrakt-tmp" && mv -f -T "$f.infrakt-tmp" "$f" || exit 3
      echo "restored the $f the server had before"
    else
      rm -f "$f" || exit 3
    fi
    [ "$f" = "$conf" ] && changed=true
  done <"$STATE/files"
elif [ -e "$conf" ]; then
  if grep -qsF "$MARK" "$conf" || [ ! -d "$STATE" ]; then rm -f "$conf" || exit 3; changed=true; fi
  echo "no record of the time zone before infrakt (installed by an older infrakt): left $(cat /etc/timezone 2>/dev/null || echo it) as it is"
fi
# Only a running timesyncd has the old list loaded (it may be absent, or skip itself in a container).
if $changed && command -v systemctl >/dev/null && systemctl is-active --quiet systemd-timesyncd 2>/dev/null; then
  systemctl restart systemd-timesyncd || exit 3
fi
rm -rf "$STATE" || exit 3
echo "time sync settings of infrakt removed (the distribution's NTP servers apply)"
exit 0
