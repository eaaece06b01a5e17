#!/usr/bin/env bash
# Undoes install.sh: the swap file switched off, its /etc/fstab line and the file deleted, swappiness back to the
# kernel's default (60). The swap file holds no data worth keeping. Exit codes: 0 removed, 1 invalid input, 3 needs a look.
set -uo pipefail
FILE=${SWAP_PATH:-/swapfile}
[[ $FILE =~ ^/[A-Za-z0-9._/-]+$ && $FILE != *..* ]] || { echo "SWAP_PATH must be a plain absolute path" >&2; exit 1; }
if swapon --show=NAME --noheadings 2>/dev/null | grep -qxF "$FILE"; then
  swapoff "$FILE" || { echo "swapoff $FILE failed (not enough free memory to take its pages back?)" >&2; exit 3; }
fi
if awk -v f="$FILE" '$1 == f { found = 1 } END { exit !found }' /etc/fstab; then
  # Rewritten atomically, every other line as it was.
  awk -v f="$FILE" '$1 != f' /etc/fstab > /etc/fstab.infrakt-tmp || exit 3
  chmod 644 /etc/fstab.infrakt-tmp && mv -f /etc/fstab.infrakt-tmp /etc/fstab || exit 3
fi
rm -f "$FILE" || exit 3
if [ -e /etc/sysctl.d/60-infrakt-swap.conf ]; then
  rm -f /etc/sysctl.d/60-infrakt-swap.conf || exit 3
  sysctl -q -w vm.swappiness=60 || exit 3
fi
echo "swap file $FILE removed"
exit 0
