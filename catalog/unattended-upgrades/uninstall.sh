#!/usr/bin/env bash
# Undoes what install.sh did, as its record on the server says: infrakt's apt settings go and the ones the server
# had before are put back, the apt timers are disabled only when the install enabled them, and unattended-upgrades
# and apt-listchanges are removed only when the install put them there (an image that shipped them keeps them).
# A server installed by an older infrakt has no record: only infrakt's own 52infrakt-unattended goes; the packages
# and 20auto-upgrades are left as they are, and this says so.
# Exit codes: 0 removed (also when already gone), 2 transient apt error, 3 needs a look.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
STATE=/var/lib/infrakt/catalog/unattended-upgrades
MARK='Managed by infrakt (catalog: unattended-upgrades)'
has() { grep -qxF -- "$2" "$STATE/$1" 2>/dev/null; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

if [ ! -d "$STATE" ]; then
  f=/etc/apt/apt.conf.d/52infrakt-unattended
  if grep -qsF "$MARK" "$f"; then rm -f "$f" || exit 3; fi
  apt-config dump >/dev/null || exit 3
  if grep -qsF "$MARK" /etc/apt/apt.conf.d/20auto-upgrades; then
    echo "no record of what this server had before infrakt (installed by an older infrakt): removed infrakt's" \
      "reboot settings; left the unattended-upgrades package and /etc/apt/apt.conf.d/20auto-upgrades, so" \
      "automatic updates go on (apt-get remove unattended-upgrades apt-listchanges if infrakt put them there)"
  else
    echo "automatic security updates: nothing of infrakt's left to remove"
  fi
  exit 0
fi

removed=()
for p in unattended-upgrades apt-listchanges; do
  if has packages "$p" && installed "$p"; then removed+=("$p"); fi
done
if [ ${#removed[@]} -gt 0 ]; then
  apt-get remove -y -q "${removed[@]}" || exit 2
fi
# Each file install.sh replaced: its original back, or removed when there was none.
[ -f "$STATE/files" ] && while IFS= read -r f; do
  [ -n "$f" ] || continue
  if [ -e "$STATE/backup$f" ]; then
    cp -a "$STATE/backup$f" "$f.infrakt-tmp" && mv -f "$f.infrakt-tmp" "$f" || exit 3
    echo "restored the $f the server had before"
  elif grep -qsF "$MARK" "$f" || ! installed unattended-upgrades; then
    rm -f "$f" || exit 3
  fi
done <"$STATE/files"
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  for t in apt-daily.timer apt-daily-upgrade.timer; do
    if has enabled "$t"; then systemctl disable --now "$t" >/dev/null 2>&1 || true; fi
  done
fi
apt-config dump >/dev/null || exit 3
rm -rf "$STATE" || exit 3
kept=()
for p in unattended-upgrades apt-listchanges; do installed "$p" && kept+=("$p"); done
if [ ${#kept[@]} -gt 0 ]; then
  echo "infrakt's automatic update settings undone; kept ${kept[*]} (there before infrakt)"
else
  echo "automatic security updates removed"
fi
exit 0
