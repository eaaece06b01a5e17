#!/usr/bin/env bash
# infrakt-test/postgres:15 — the host's PostgreSQL 15 (Debian 12) + libs + busybox sh.
# Tagged 15 because that is what it is; Debian 12 has no PostgreSQL 16 (see ../README.md).
# usage: build.sh <tag> <recipe-hash>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/harness/images/lib.sh
. "$here/../lib.sh"

tag=${1:?usage: build.sh <tag> <recipe-hash>}
hash=${2:?usage: build.sh <tag> <recipe-hash>}
pg=/usr/lib/postgresql/15
share=/usr/share/postgresql/15

make_workdir
root=$BUILD_WORKDIR/rootfs
rootfs_init "$root"
install_busybox "$root"

# Server, client tools and contrib extensions. Left out: the LLVM JIT provider (it would pull the
# 100 MB libLLVM; PostgreSQL silently runs without JIT when the provider is absent) and its bitcode.
mapfile -t files < <(find "$pg/bin" "$pg/lib" -path "$pg/lib/bitcode" -prune -o -type f ! -name 'llvmjit*' -print | sort)
# setpriv (util-linux) drops root to the postgres user, like gosu in the official image.
# locale (libc-bin): initdb asks it which locales exist to import their collations.
copy_with_libs "$root" "${files[@]}" /usr/bin/setpriv /usr/bin/locale
# Files initdb and the server read at run time; the timezone database (Debian builds against the
# system tzdata) and the C.UTF-8 locale the cluster is initialised with.
mkdir -p "$root$share" "$root/usr/share" "$root/usr/lib/locale"
(cd "$share" && tar --exclude=./man -cf - .) | tar -C "$root$share" -xf -
cp -a /usr/share/zoneinfo "$root/usr/share/zoneinfo"
cp -a /usr/lib/locale/C.utf8 "$root/usr/lib/locale/C.utf8"

printf 'postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh\n' >>"$root/etc/passwd"
printf 'postgres:x:999:\n' >>"$root/etc/group"
mkdir -p "$root/var/lib/postgresql/data" "$root/docker-entrypoint-initdb.d"
install -D -m 0755 "$here/entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"

import_rootfs "$root" "$tag" \
  "ENV PATH=/usr/local/bin:$pg/bin:/usr/bin:/bin" \
  'ENV PGDATA=/var/lib/postgresql/data' \
  'ENV LANG=C.UTF-8' \
  'EXPOSE 5432' \
  'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
  'CMD ["postgres"]' \
  "LABEL infrakt.test.recipe=$hash"
