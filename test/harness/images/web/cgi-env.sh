#!/bin/sh
# /cgi-bin/env?NAME1,NAME2 — live values of environment variables (default: $SHOW_ENV or APP_MESSAGE).
printf 'Content-Type: text/plain\r\n\r\n'
for name in $(printf '%s' "${QUERY_STRING:-${SHOW_ENV:-APP_MESSAGE}}" | tr ',&' '  '); do
  # Only plain variable names reach eval.
  case $name in *[!A-Za-z0-9_]* | '') continue ;; esac
  if eval "[ -n \"\${$name+set}\" ]"; then
    eval "printf '%s=%s\n' \"\$name\" \"\$$name\""
  else
    printf '%s (unset)\n' "$name"
  fi
done
