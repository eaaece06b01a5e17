#!/usr/bin/env bash
# infrakt-test/mariadb:10.11 — Debian 12's MariaDB 10.11 (server core + client tools) + libs + busybox sh.
# Tagged 10.11 because that is what it is (see ../README.md).
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

# The server, the bootstrap script and what it calls, and the clients infrakt runs inside the container
# (mariadb-admin for the health check, mariadb-dump for backups, mariadb for restores) with their mysql* names.
bins=(/usr/sbin/mariadbd /usr/bin/mariadb-install-db /usr/bin/my_print_defaults /usr/bin/resolveip
  /usr/bin/mariadb /usr/bin/mariadb-admin /usr/bin/mariadb-dump /usr/bin/setpriv)
copy_with_libs "$root" "${bins[@]}"
for alias in mysql:mariadb mysqladmin:mariadb-admin mysqldump:mariadb-dump mysqld:../sbin/mariadbd; do
  ln -sf "${alias#*:}" "$root/usr/bin/${alias%%:*}"
done
# Bootstrap SQL, error messages and character sets.
mkdir -p "$root/usr/share/mysql"
(cd /usr/share/mysql && tar -cf - english charsets ./*.sql) | tar -C "$root/usr/share/mysql" -xf -
[[ ! -d /usr/lib/mysql/plugin ]] || { mkdir -p "$root/usr/lib/mysql" && cp -a /usr/lib/mysql/plugin "$root/usr/lib/mysql/"; }

printf 'mysql:x:999:999:MariaDB:/var/lib/mysql:/bin/false\n' >>"$root/etc/passwd"
printf 'mysql:x:999:\n' >>"$root/etc/group"
mkdir -p "$root/var/lib/mysql" "$root/run/mysqld"
install -D -m 0755 "$here/entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"

import_rootfs "$root" "$tag" \
  'ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/bin' \
  'ENV LANG=C.UTF-8' \
  'EXPOSE 3306' \
  'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
  'CMD ["mariadbd"]' \
  "LABEL infrakt.test.recipe=$hash"
