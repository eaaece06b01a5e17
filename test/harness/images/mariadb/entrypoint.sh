#!/bin/sh
# Entrypoint of infrakt-test/mariadb, a drop-in for the official mariadb image's common use:
#   MARIADB_ROOT_PASSWORD (or MYSQL_ROOT_PASSWORD)  required: root's password (root@localhost and root@'%')
#   MARIADB_DATABASE (or MYSQL_DATABASE)            database created on first start
# Data in /var/lib/mysql; the socket is /run/mysqld/mysqld.sock (the clients' default). During initialisation the
# server listens on no TCP port, so `mariadb-admin ping -h 127.0.0.1` succeeds only once the real server is up.
# The password reaches the server as SQL on stdin, never on a command line.
set -eu

case ${1:-} in '' | -*) set -- mariadbd "$@" ;; esac
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then exec "$@"; fi
shift

datadir=/var/lib/mysql
mkdir -p "$datadir" /run/mysqld
chown mysql:mysql "$datadir" /run/mysqld

if [ ! -d "$datadir/mysql" ]; then
  pw=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
  db=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
  if [ -z "$pw" ]; then
    echo "infrakt-test-mariadb: MARIADB_ROOT_PASSWORD is not set" >&2
    exit 1
  fi
  mariadb-install-db --user=mysql --datadir="$datadir" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null
  initsock=$(mktemp -d)
  chown mysql "$initsock"
  mariadbd --user=mysql --datadir="$datadir" --skip-networking --socket="$initsock/s" &
  init=$!
  i=0
  until mariadb-admin --socket="$initsock/s" --user=root ping >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 600 ] || ! kill -0 "$init" 2>/dev/null; then
      echo "infrakt-test-mariadb: the initialisation server did not start" >&2
      exit 1
    fi
    sleep 0.1
  done
  # SQL string literals: double every backslash and single quote.
  q=$(printf '%s' "$pw" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")
  qdb=$(printf '%s' "$db" | sed -e 's/`/``/g')
  {
    printf "ALTER USER 'root'@'localhost' IDENTIFIED BY '%s';\n" "$q"
    printf "CREATE USER 'root'@'%%' IDENTIFIED BY '%s';\n" "$q"
    printf "GRANT ALL ON *.* TO 'root'@'%%' WITH GRANT OPTION;\n"
    [ -z "$db" ] || printf 'CREATE DATABASE IF NOT EXISTS `%s`;\n' "$qdb"
    printf 'FLUSH PRIVILEGES;\n'
  } | mariadb --socket="$initsock/s" --user=root
  kill -TERM "$init"
  wait "$init" || true
  rm -rf "$initsock"
  echo "infrakt-test-mariadb: initialised $datadir${db:+ (database $db)}" >&2
fi

# mariadbd shuts down cleanly on SIGTERM (docker stop) itself.
exec mariadbd --user=mysql --datadir="$datadir" --bind-address=0.0.0.0 --port=3306 "$@"
