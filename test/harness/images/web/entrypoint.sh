#!/bin/sh
# PID 1 of infrakt-test/web. Env contract (see ../README.md):
#   PORT=3000        port httpd listens on (all interfaces)
#   START_DELAY=0    seconds to wait before listening (a slow-starting app)
#   FAIL_HEALTH=1    /health is not created, so it answers 404 (an unhealthy app)
#   CRASH=1          exit 1 after START_DELAY instead of serving (a broken release)
#   SHOW_ENV=A,B     names written to /env at start (default APP_MESSAGE)
set -eu

# With arguments, run them instead of the server (`docker run IMAGE CMD…`, compose run, scheduled tasks), as
# real images' entrypoints do (`exec "$@"`).
if [ "$#" -gt 0 ]; then exec "$@"; fi

port=${PORT:-3000}
child=

# PID 1 gets no default signal handling: forward TERM/INT so `docker stop` is immediate.
stop() {
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
  exit 0
}
trap stop TERM INT

# /env: the environment this container started with, one NAME=value per line.
: >/www/env
for name in $(printf '%s' "${SHOW_ENV:-APP_MESSAGE}" | tr ',' ' '); do
  case $name in *[!A-Za-z0-9_]* | '') continue ;; esac
  if eval "[ -n \"\${$name+set}\" ]"; then
    eval "printf '%s=%s\n' \"\$name\" \"\$$name\"" >>/www/env
  else
    printf '%s (unset)\n' "$name" >>/www/env
  fi
done
hostname >/www/whoami

rm -f /www/health
if [ "${FAIL_HEALTH:-0}" != 1 ]; then echo ok >/www/health; fi

if [ "${START_DELAY:-0}" != 0 ]; then
  sleep "$START_DELAY" &
  child=$!
  wait "$child" || true
  child=
fi

if [ "${CRASH:-0}" = 1 ]; then
  echo "infrakt-test-web: CRASH=1, exiting" >&2
  exit 1
fi

echo "infrakt-test-web $(cat /etc/app-version) listening on :$port" >&2
httpd -f -v -p "$port" -h /www &
child=$!
wait "$child"
