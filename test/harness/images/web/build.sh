#!/usr/bin/env bash
# infrakt-test/web:<version> — a tiny busybox httpd "app" for deploy tests (contract: README.md).
# usage: build.sh <tag> <recipe-hash>   e.g. build.sh infrakt-test/web:1 <hash>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/harness/images/lib.sh
. "$here/../lib.sh"

tag=${1:?usage: build.sh <tag> <recipe-hash>}
hash=${2:?usage: build.sh <tag> <recipe-hash>}
# The tag's version (web:1, web:2) is the marker the app serves, so a deploy test can tell them apart.
version=v${tag##*:}

make_workdir
root=$BUILD_WORKDIR/rootfs
rootfs_init "$root"
install_busybox "$root"
install -D -m 0755 "$here/entrypoint.sh" "$root/usr/local/bin/entrypoint"
install -D -m 0755 "$here/cgi-env.sh" "$root/www/cgi-bin/env"
printf 'infrakt-test-web version=%s\n' "$version" >"$root/www/index.html"
printf '%s\n' "$version" >"$root/etc/app-version"

import_rootfs "$root" "$tag" \
  "ENV APP_VERSION=$version" \
  'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  'EXPOSE 3000' \
  'WORKDIR /www' \
  'ENTRYPOINT ["/usr/local/bin/entrypoint"]' \
  "LABEL infrakt.test.recipe=$hash"
