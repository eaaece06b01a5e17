#!/usr/bin/env bash
set -u
FILE=${SWAP_PATH:-/swapfile}
swapon --show=NAME --noheadings 2>/dev/null | grep -qxF "$FILE" || exit 1
[ "$(stat -c %s "$FILE")" = "$((${SWAP_SIZE_MB:-0} * 1024 * 1024))" ] || exit 1
grep -qE "^$FILE[[:space:]]" /etc/fstab || exit 1
[ "$(cat /proc/sys/vm/swappiness)" = "${SWAPPINESS:-10}" ] || exit 1
exit 0
