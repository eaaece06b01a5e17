#!/usr/bin/env bash
# A swap file. Exit codes: 0 ok, 1 invalid input, 2 install error (retried), 3 configuration error.
set -uo pipefail
SIZE=${SWAP_SIZE_MB:-}
SWAPPINESS=${SWAPPINESS:-10}
FILE=${SWAP_PATH:-/swapfile}
[[ $SIZE =~ ^[0-9]+$ ]] && ((SIZE >= 128)) || { echo "SWAP_SIZE_MB must be a number ≥ 128" >&2; exit 1; }
[[ $SWAPPINESS =~ ^[0-9]+$ ]] && ((SWAPPINESS <= 100)) || { echo "SWAPPINESS must be 0-100" >&2; exit 1; }
[[ $FILE =~ ^/[A-Za-z0-9._/-]+$ && $FILE != *..* ]] || { echo "SWAP_PATH must be a plain absolute path" >&2; exit 1; }

# What the server had before is recorded on it (root only), so uninstall.sh takes away only what this install
# added: a swap file that was already there stays, and so does its /etc/fstab line; swappiness goes back to the
# value it had. A second install keeps the first one's record.
STATE=/var/lib/infrakt/catalog/swapfile
SYSCTL=/etc/sysctl.d/60-infrakt-swap.conf
install -d -m 700 "$STATE" || exit 3
note() { grep -qxF -- "$2" "$STATE/$1" 2>/dev/null || echo "$2" >>"$STATE/$1"; }
has() { grep -qxF -- "$2" "$STATE/$1" 2>/dev/null; }
active() { swapon --show=NAME --noheadings 2>/dev/null | grep -qxF "$FILE"; }
[ -s "$STATE/swappiness" ] || cat /proc/sys/vm/swappiness >"$STATE/swappiness" || exit 3
if ! has created "$FILE" && ! has existed "$FILE"; then
  if [ -e "$FILE" ]; then
    # Never replace a file that is not a swap area: it may hold someone's data.
    if ! active && ! swaplabel "$FILE" >/dev/null 2>&1; then
      echo "$FILE exists and is not a swap file: choose another path" >&2
      exit 3
    fi
    note existed "$FILE"
  else
    note created "$FILE"
  fi
fi
grep -qE "^$FILE[[:space:]]" /etc/fstab || note fstab "$FILE"

want=$((SIZE * 1024 * 1024))
if active; then
  have=$(stat -c %s "$FILE")
  if [ "$have" != "$want" ]; then swapoff "$FILE" || exit 3; fi
fi
if ! active; then
  avail=$(($(df --output=avail -B1 "$(dirname "$FILE")" | tail -1)))
  ((avail > want + 512 * 1024 * 1024)) || { echo "not enough free disk for a ${SIZE} MiB swap file" >&2; exit 3; }
  rm -f "$FILE"
  fallocate -l "$want" "$FILE" 2>/dev/null || dd if=/dev/zero of="$FILE" bs=1M count="$SIZE" status=none || exit 2
  chmod 600 "$FILE"
  mkswap "$FILE" >/dev/null || exit 2
  swapon "$FILE" || { echo "swapon refused $FILE (a container or a filesystem without swap support?)" >&2; exit 3; }
fi
grep -qE "^$FILE[[:space:]]" /etc/fstab || echo "$FILE none swap sw 0 0" >> /etc/fstab
printf '# Managed by infrakt (catalog: swapfile)\nvm.swappiness = %s\n' "$SWAPPINESS" >"$SYSCTL"
sysctl -q -w "vm.swappiness=$SWAPPINESS" || exit 3
echo "swap: $FILE, ${SIZE} MiB, swappiness $SWAPPINESS"
exit 0
