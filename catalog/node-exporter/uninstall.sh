#!/usr/bin/env bash
# Undoes install.sh: the service stopped and disabled, the package removed, infrakt's settings file deleted.
# Exit codes: 0 removed (also when it was already gone), 2 a transient apt error (dpkg lock), 3 needs a look.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus-node-exporter >/dev/null 2>&1 || true
fi
if dpkg-query -W -f='${Status}' prometheus-node-exporter 2>/dev/null | grep -q 'install ok installed'; then
  apt-get remove -y -q prometheus-node-exporter || exit 2
fi
# The package keeps its conffile on remove; this one carries infrakt's listen address and collectors.
if grep -qs 'Managed by infrakt (catalog: node-exporter)' /etc/default/prometheus-node-exporter; then
  rm -f /etc/default/prometheus-node-exporter || exit 3
fi
echo "node exporter removed"
exit 0
