#!/usr/bin/env bash
set -u
LISTEN=${LISTEN_ADDRESS:-127.0.0.1:9100}
systemctl is-active --quiet prometheus-node-exporter || exit 1
grep -q -- "--web.listen-address=$LISTEN\"\\|--web.listen-address=$LISTEN " /etc/default/prometheus-node-exporter 2>/dev/null || exit 1
EXTRA=${EXTRA_COLLECTORS:-}
for c in ${EXTRA//,/ }; do grep -q -- "--collector.$c" /etc/default/prometheus-node-exporter || exit 1; done
curl -fsS "http://$LISTEN/metrics" >/dev/null 2>&1 || exit 1
exit 0
