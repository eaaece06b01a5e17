#!/usr/bin/env bash
# Prometheus node exporter from the distribution. Exit codes: 0 ok, 1 invalid input, 2 install error (retried), 3 configuration error.
set -uo pipefail
LISTEN=${LISTEN_ADDRESS:-127.0.0.1:9100}
EXTRA=${EXTRA_COLLECTORS:-}
[[ $LISTEN =~ ^[][0-9a-f.:]+:[0-9]{2,5}$ ]] || { echo "LISTEN_ADDRESS must be host:port" >&2; exit 1; }
[[ -z $EXTRA || $EXTRA =~ ^[a-z_]+(,[a-z_]+)*$ ]] || { echo "EXTRA_COLLECTORS must be a comma-separated list" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -q || exit 2
apt-get install -y -q --no-install-recommends prometheus-node-exporter || exit 2
args="--web.listen-address=$LISTEN"
for c in ${EXTRA//,/ }; do args="$args --collector.$c"; done
printf '# Managed by infrakt (catalog: node-exporter)\nARGS="%s"\n' "$args" > /etc/default/prometheus-node-exporter.tmp
mv -f /etc/default/prometheus-node-exporter.tmp /etc/default/prometheus-node-exporter
systemctl enable prometheus-node-exporter >/dev/null 2>&1 || exit 3
systemctl restart prometheus-node-exporter || exit 3
for _ in $(seq 1 50); do
  if curl -fsS "http://$LISTEN/metrics" >/dev/null 2>&1; then echo "node exporter serving on $LISTEN"; exit 0; fi
  sleep 0.2
done
echo "node exporter is not answering on $LISTEN" >&2
exit 3
