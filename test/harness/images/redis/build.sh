#!/usr/bin/env bash
# infrakt-test/redis:7 — the host's redis-server/redis-cli (Debian 12: 7.0) + libs + busybox sh.
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
copy_with_libs "$root" /usr/bin/redis-server /usr/bin/redis-cli
install -D -m 0755 "$here/entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
mkdir -p "$root/data"

import_rootfs "$root" "$tag" \
  'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  'EXPOSE 6379' \
  'WORKDIR /data' \
  'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
  'CMD ["redis-server"]' \
  "LABEL infrakt.test.recipe=$hash"
