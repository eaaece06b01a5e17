#!/usr/bin/env bash
# Prometheus node exporter from the distribution. Exit codes: 0 ok, 1 invalid input, 2 install error (retried), 3 configuration error.
set -uo pipefail
LISTEN=${LISTEN_ADDRESS:-127.0.0.1:9100}
EXTRA=${EXTRA_COLLECTORS:-}
[[ $LISTEN =~ ^[][0-9a-f.:]+:[0-9]{2,5}$ ]] || { echo "LISTEN_ADDRESS must be host:port" >&2; exit 1; }
[[ -z $EXTRA || $EXTRA =~ ^[a-z_]+(,[a-z_]+)*$ ]] || { echo "EXTRA_COLLECTORS must be a comma-separated list" >&2; exit 1; }

# What this install adds is recorded on the server (root only), so uninstall.sh undoes that and nothing the server
# had before: packages it installed, units it enabled or started, originals of the files it replaced. A second
# install keeps the first one's record: the originals are the ones from before infrakt.
STATE=/var/lib/infrakt/catalog/node-exporter
MARK='Managed by infrakt (catalog: node-exporter)'
install -d -m 700 "$STATE" "$STATE/backup" || exit 3
note() { grep -qxF -- "$2" "$STATE/$1" 2>/dev/null || echo "$2" >>"$STATE/$1"; }
keep() { # the original of $1 backed up once (infrakt's own file from an older install counts as none)
  grep -qxF -- "$1" "$STATE/files" 2>/dev/null && return 0
  if [ -e "$1" ] && ! grep -qsF "$MARK" "$1"; then
    mkdir -p "$STATE/backup$(dirname "$1")" && cp -a "$1" "$STATE/backup$1" || return 1
  fi
  echo "$1" >>"$STATE/files"
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
UNIT=prometheus-node-exporter
CONF=/etc/default/prometheus-node-exporter

export DEBIAN_FRONTEND=noninteractive
if ! installed prometheus-node-exporter; then
  # Before apt: the package's postinst enables and starts the unit, and ships the settings file.
  note packages prometheus-node-exporter
  systemctl is-enabled --quiet "$UNIT" 2>/dev/null || note enabled "$UNIT"
  systemctl is-active --quiet "$UNIT" 2>/dev/null || note started "$UNIT"
  keep "$CONF" || exit 3
  apt-get update -q || exit 2
  apt-get install -y -q --no-install-recommends prometheus-node-exporter || exit 2
fi
systemctl is-enabled --quiet "$UNIT" 2>/dev/null || note enabled "$UNIT"
systemctl is-active --quiet "$UNIT" 2>/dev/null || note started "$UNIT"
keep "$CONF" || exit 3
args="--web.listen-address=$LISTEN"
for c in ${EXTRA//,/ }; do args="$args --collector.$c"; done
printf '# %s\nARGS="%s"\n' "$MARK" "$args" >"$CONF.tmp"
mv -f "$CONF.tmp" "$CONF"
systemctl enable "$UNIT" >/dev/null 2>&1 || exit 3
systemctl restart "$UNIT" || exit 3
for _ in $(seq 1 50); do
  if curl -fsS "http://$LISTEN/metrics" >/dev/null 2>&1; then echo "node exporter serving on $LISTEN"; exit 0; fi
  sleep 0.2
done
echo "node exporter is not answering on $LISTEN" >&2
exit 3
