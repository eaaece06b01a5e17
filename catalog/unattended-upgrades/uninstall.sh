#!/usr/bin/env bash
# Undoes install.sh: infrakt's apt settings deleted and the packages it installed removed, so no automatic
# upgrade or reboot happens any more. Exit codes: 0 removed (also when already gone), 2 transient apt error, 3 needs a look.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
for f in /etc/apt/apt.conf.d/20auto-upgrades /etc/apt/apt.conf.d/52infrakt-unattended; do
  if grep -qs 'Managed by infrakt (catalog: unattended-upgrades)' "$f"; then rm -f "$f" || exit 3; fi
done
installed=()
for p in unattended-upgrades apt-listchanges; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' && installed+=("$p")
done
if [ ${#installed[@]} -gt 0 ]; then
  apt-get remove -y -q "${installed[@]}" || exit 2
fi
apt-config dump >/dev/null || exit 3
echo "automatic security updates removed"
exit 0
