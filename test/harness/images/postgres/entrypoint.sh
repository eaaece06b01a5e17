#!/bin/sh
# Entrypoint of infrakt-test/postgres, a drop-in for the official image's common use:
#   POSTGRES_PASSWORD          required (unless POSTGRES_HOST_AUTH_METHOD=trust): the superuser's password
#   POSTGRES_USER=postgres     superuser created by initdb
#   POSTGRES_DB=$POSTGRES_USER database created on first start
#   POSTGRES_INITDB_ARGS       extra initdb flags (word-split)
#   PGDATA=/var/lib/postgresql/data; *.sql / *.sh in /docker-entrypoint-initdb.d run once after init.
# Network clients authenticate with scram-sha-256; the local socket trusts (as in the official image).
# The password reaches initdb through a 0600 file, never a command line.
set -eu

case ${1:-} in '' | -*) set -- postgres "$@" ;; esac
if [ "$1" != postgres ]; then exec "$@"; fi
shift

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
# Absolute path: busybox sh would otherwise run its own (more limited) setpriv applet.
as_postgres() { /usr/bin/setpriv --reuid=999 --regid=999 --clear-groups -- "$@"; }

# `docker stop` during initialisation: finish it (a half-initialised cluster is worse), then exit.
child=
stopping=
trap 'stopping=1; if [ -n "$child" ]; then kill -INT "$child" 2>/dev/null || true; fi' TERM INT

mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
chmod 2775 /var/run/postgresql

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo "infrakt-test-postgres: POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  pwfile=
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    chown postgres "$pwfile"
    chmod 600 "$pwfile"
  fi
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags
  as_postgres initdb --username="$user" ${pwfile:+--pwfile="$pwfile"} --auth-local=trust \
    --auth-host="$auth" --encoding=UTF8 --locale=C.UTF-8 ${POSTGRES_INITDB_ARGS:-} >/dev/null
  [ -z "$pwfile" ] || rm -f "$pwfile"
  printf 'host all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

  # Create the database and run init scripts on a server without TCP and with its socket in a
  # private dir: pg_isready (default socket or TCP) only succeeds once the real server is up.
  initsock=$(mktemp -d)
  chown postgres "$initsock"
  as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=$initsock" -w start >/dev/null
  if [ "$db" != postgres ]; then
    # psql quotes the identifier itself (:"db"); the name never becomes part of the SQL text.
    echo 'CREATE DATABASE :"db";' | psql -h "$initsock" -v ON_ERROR_STOP=1 -q -U "$user" -d postgres -v db="$db"
  fi
  export PGHOST="$initsock"
  for f in /docker-entrypoint-initdb.d/*; do
    # shellcheck disable=SC1090 # user-provided init scripts, sourced as the official image does
    case $f in
      *.sql) psql -v ON_ERROR_STOP=1 -q -U "$user" -d "$db" -f "$f" ;;
      *.sh) . "$f" ;;
    esac
  done
  unset PGHOST
  as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  rmdir "$initsock"
  echo "infrakt-test-postgres: initialised $PGDATA (user $user, database $db)" >&2
fi
unset POSTGRES_PASSWORD

# postgres is not PID 1: `docker stop` sends TERM, which we turn into a fast shutdown (SIGINT),
# as the official image does with STOPSIGNAL SIGINT (docker import cannot set STOPSIGNAL).
[ -z "$stopping" ] || exit 0
# Not through as_postgres: a backgrounded function is a subshell, and $! must be postgres itself.
/usr/bin/setpriv --reuid=999 --regid=999 --clear-groups -- postgres "$@" &
child=$!
# wait returns early when a trapped signal arrives: wait again until postgres has really exited.
while :; do
  wait "$child" && code=0 || code=$?
  kill -0 "$child" 2>/dev/null || break
done
exit "$code"
