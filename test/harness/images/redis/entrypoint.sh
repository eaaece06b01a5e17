#!/bin/sh
# Entrypoint of infrakt-test/redis, a drop-in for the official image's common use:
#   REDIS_PASSWORD   when set, clients must AUTH with it (requirepass)
#   data in /data (RDB snapshots); extra redis-server flags may follow: `redis-server --appendonly yes`
# The password goes into a 0600 config file, never onto redis-server's command line (ps).
set -eu

# Same argument conventions as the official image.
case ${1:-} in '' | -*) set -- redis-server "$@" ;; esac
if [ "$1" != redis-server ]; then exec "$@"; fi
shift

umask 077
conf=/run/redis.conf
{
  echo 'bind * -::*'
  echo 'port 6379'
  echo 'dir /data'
  echo 'daemonize no'
  echo 'logfile ""'
  if [ -n "${REDIS_PASSWORD:-}" ]; then
    case $REDIS_PASSWORD in
      *'
'*)
        echo "infrakt-test-redis: REDIS_PASSWORD must be one line" >&2
        exit 1
        ;;
    esac
    # Redis config strings: double quotes, with \ and " escaped.
    printf 'requirepass "%s"\n' "$(printf '%s' "$REDIS_PASSWORD" | sed 's/[\\"]/\\&/g')"
  else
    echo 'protected-mode no'
  fi
} >"$conf"
unset REDIS_PASSWORD

exec redis-server "$conf" "$@"
