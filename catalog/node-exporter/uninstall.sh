#!/usr/bin/env bash
# Undoes what install.sh did, as its record on the server says: the package removed only when the install put it
# there, the unit disabled/stopped only when the install enabled/started it, and the settings file the server had
# before put back (then the exporter restarted with it). A server installed by an older infrakt has no record: the
# package, service and settings are left as they are, and this says so.
# Exit codes: 0 removed (also when it was already gone), 2 a transient apt error (dpkg lock), 3 needs a look.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
STATE=/var/lib/infrakt/catalog/node-exporter
MARK='Managed by infrakt (catalog: node-exporter)'
UNIT=prometheus-node-exporter
CONF=/etc/default/prometheus-node-exporter
has() { grep -qxF -- "$2" "$STATE/$1" 2>/dev/null; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
systemd=false
command -v systemctl >/dev/null && [ -d /run/systemd/system ] && systemd=true

if [ ! -d "$STATE" ]; then
  if installed prometheus-node-exporter && grep -qsF "$MARK" "$CONF"; then
    echo "no record of what this server had before infrakt (installed by an older infrakt): left the" \
      "prometheus-node-exporter package and service, and infrakt's settings in $CONF;" \
      "remove them with apt-get remove prometheus-node-exporter if infrakt put them there"
  else
    if ! installed prometheus-node-exporter && grep -qsF "$MARK" "$CONF"; then rm -f "$CONF" || exit 3; fi
    echo "node exporter: nothing of infrakt's left to remove"
  fi
  exit 0
fi

ours=false
has packages prometheus-node-exporter && ours=true
if $systemd; then
  if $ours || has enabled "$UNIT"; then systemctl disable "$UNIT" >/dev/null 2>&1 || true; fi
  if $ours || has started "$UNIT"; then systemctl stop "$UNIT" >/dev/null 2>&1 || true; fi
fi
if $ours && installed prometheus-node-exporter; then
  apt-get remove -y -q prometheus-node-exporter || exit 2
fi
if [ -e "$STATE/backup$CONF" ]; then
  cp -a "$STATE/backup$CONF" "$CONF.infrakt-tmp" && mv -f "$CONF.infrakt-tmp" "$CONF" || exit 3
  echo "restored the $CONF the server had before"
elif $ours || ! installed prometheus-node-exporter; then
  # The package keeps its conffile on remove; this one carries infrakt's listen address and collectors.
  if grep -qsF "$MARK" "$CONF"; then rm -f "$CONF" || exit 3; fi
else
  # The package stays and had no settings file before: without one it would listen on every interface.
  echo "left infrakt's settings in $CONF (the package stays and there was none before)"
fi
if $systemd && ! $ours && ! has started "$UNIT" && systemctl is-active --quiet "$UNIT" 2>/dev/null; then
  systemctl restart "$UNIT" || exit 3
fi
rm -rf "$STATE" || exit 3
if $ours; then echo "node exporter removed"; else echo "node exporter settings of infrakt undone; the package was there before and stays"; fi
exit 0
