#!/usr/bin/env bash
# Undoes what install.sh did, as its record on the server says: a swap file the install created is switched off
# and deleted with the /etc/fstab line it added (every other line as it was), and swappiness goes back to the value
# it had before. A swap file that was there before the install stays, switched on. A server installed by an older
# infrakt has no record: the swap file and its fstab line are left, and this says so. The swap file holds no data
# worth keeping. Exit codes: 0 removed, 1 invalid input, 3 needs a look.
set -uo pipefail
FILE=${SWAP_PATH:-/swapfile}
[[ $FILE =~ ^/[A-Za-z0-9._/-]+$ && $FILE != *..* ]] || { echo "SWAP_PATH must be a plain absolute path" >&2; exit 1; }
STATE=/var/lib/infrakt/catalog/swapfile
SYSCTL=/etc/sysctl.d/60-infrakt-swap.conf
has() { grep -qxF -- "$2" "$STATE/$1" 2>/dev/null; }

if [ ! -d "$STATE" ]; then
  if [ -e "$SYSCTL" ]; then
    rm -f "$SYSCTL" || exit 3
    sysctl -q -w vm.swappiness=60 || exit 3
  fi
  if [ -e "$FILE" ]; then
    echo "no record of what this server had before infrakt (installed by an older infrakt): left the swap file" \
      "$FILE and its /etc/fstab line; swappiness set back to the kernel's default (60)"
  else
    echo "swap file: nothing of infrakt's left to remove"
  fi
  exit 0
fi

if has created "$FILE"; then
  if swapon --show=NAME --noheadings 2>/dev/null | grep -qxF "$FILE"; then
    swapoff "$FILE" || { echo "swapoff $FILE failed (not enough free memory to take its pages back?)" >&2; exit 3; }
  fi
fi
if has fstab "$FILE" && awk -v f="$FILE" '$1 == f { found = 1 } END { exit !found }' /etc/fstab; then
  # Rewritten atomically, every other line as it was.
  awk -v f="$FILE" '$1 != f' /etc/fstab > /etc/fstab.infrakt-tmp || exit 3
  chmod 644 /etc/fstab.infrakt-tmp && mv -f /etc/fstab.infrakt-tmp /etc/fstab || exit 3
fi
if has created "$FILE"; then
  rm -f "$FILE" || exit 3
  echo "swap file $FILE removed"
elif has existed "$FILE"; then
  echo "kept the swap file $FILE (there before infrakt)"
fi
rm -f "$SYSCTL" || exit 3
before=$(cat "$STATE/swappiness" 2>/dev/null)
[[ $before =~ ^[0-9]+$ ]] || before=60
sysctl -q -w "vm.swappiness=$before" || exit 3
rm -rf "$STATE" || exit 3
echo "swappiness back to $before"
exit 0
