#!/usr/bin/env bash
# infrakt-test/caddy:2 — Debian's caddy binary + busybox, for the edge proxy of swarm cluster tests
# (stands in for the official caddy image, which cannot be pulled here). Config at /etc/caddy/Caddyfile.
# usage: build.sh <tag> <recipe-hash>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/harness/images/lib.sh
. "$here/../lib.sh"

tag=${1:?usage: build.sh <tag> <recipe-hash>}
hash=${2:?usage: build.sh <tag> <recipe-hash>}

make_workdir
root=$BUILD_WORKDIR/rootfs
rootfs_init "$root"
install_busybox "$root"
copy_with_libs "$root" /usr/bin/caddy
mkdir -p "$root/etc/caddy" "$root/data" "$root/config"
printf ':80 {\n\trespond "no sites yet" 404\n}\n' >"$root/etc/caddy/Caddyfile"

import_rootfs "$root" "$tag" \
  'ENV PATH=/usr/bin:/bin' \
  'ENV XDG_CONFIG_HOME=/config' \
  'ENV XDG_DATA_HOME=/data' \
  'EXPOSE 80' \
  'CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]' \
  "LABEL infrakt.test.recipe=$hash"
