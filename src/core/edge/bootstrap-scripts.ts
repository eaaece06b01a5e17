/**
 * The fixed parts of an edge device's bootstrap: no data in here. Everything device-specific is set as quoted
 * variables or written as files by core/commands/edge-bootstrap.ts, so these texts never mix control flow with
 * user input. Paths are fixed: /etc/infrakt-edge (0700, root) holds the keys, the config and these scripts.
 */

export const EDGE_DIR = '/etc/infrakt-edge';
export const TUNNEL_UNIT = 'infrakt-edge-tunnel.service';
export const DEVICE_SSHD_DROP_IN = '/etc/ssh/sshd_config.d/infrakt-edge.conf';
/** The device's host key infrakt generated and pinned; a type `ssh-keygen -A` does not create, so it adds to the device's own. */
export const DEVICE_HOST_KEY_TYPE = 'ecdsa-sha2-nistp384';
export const DEVICE_HOST_KEY_FILE = `${EDGE_DIR}/ssh_host_ecdsa384_key`;
/** The name the device's known_hosts gives the meeting point, whatever host and port it is dialled at. */
export const MEETING_POINT_ALIAS = 'infrakt-meeting-point';

/** The unit's command: the loop below. Run this directly where systemd is not PID 1. */
export const TUNNEL_EXEC_START = `/bin/sh ${EDGE_DIR}/tunnel.sh`;

export const TUNNEL_SH = `#!/bin/sh
# infrakt edge tunnel (run by ${TUNNEL_UNIT}): keeps one outbound \`ssh -N -R\` session to the meeting point up.
# Between attempts it waits 1 s, doubling up to 60 s (plus jitter); a session that lasted a minute resets the
# wait. ssh sends keepalives itself and gives up on a dead path after 45 s.
set -u
DIR=${EDGE_DIR}
. "$DIR/tunnel.conf"
delay=1
while :; do
  started=$(date +%s)
  ssh -N -F none \\
    -i "$DIR/id_ed25519" -o IdentitiesOnly=yes -o IdentityAgent=none \\
    -o UserKnownHostsFile="$DIR/known_hosts" -o GlobalKnownHostsFile=/dev/null \\
    -o StrictHostKeyChecking=yes -o HostKeyAlias=${MEETING_POINT_ALIAS} -o CheckHostIP=no -o UpdateHostKeys=no \\
    -o BatchMode=yes -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \\
    -o ExitOnForwardFailure=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=3 -o TCPKeepAlive=yes \\
    -o ConnectTimeout=20 -o ControlMaster=no -o ControlPath=none -o ForwardAgent=no -o ForwardX11=no \\
    -o RequestTTY=no \\
    -R "127.0.0.1:$TUNNEL_PORT:127.0.0.1:$DEVICE_SSH_PORT" \\
    -p "$ENDPOINT_PORT" -l "$TUNNEL_USER" -- "$ENDPOINT_HOST"
  code=$?
  lived=$(( $(date +%s) - started ))
  if [ "$lived" -ge 60 ]; then delay=1; fi
  jitter=$(( $(od -An -N2 -tu2 /dev/urandom | tr -cd 0-9) % (delay / 2 + 1) ))
  echo "infrakt-edge: tunnel to $ENDPOINT_HOST:$ENDPOINT_PORT ended (ssh exit $code after \${lived}s); next attempt in $((delay + jitter))s" >&2
  sleep $((delay + jitter))
  delay=$((delay * 2))
  if [ "$delay" -gt 60 ]; then delay=60; fi
done
`;

export const TUNNEL_UNIT_FILE = `[Unit]
Description=infrakt edge tunnel: reverse SSH to the infrakt meeting point
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=${TUNNEL_EXEC_START}
# The script backs off between attempts itself; this only restarts the script.
Restart=always
RestartSec=10
# Only an ssh client runs here: it reads its own files and needs the network, nothing else.
NoNewPrivileges=yes
ProtectSystem=full
ProtectHome=read-only
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`;

export const UNINSTALL_SH = `#!/bin/sh
# Removes what the infrakt edge bootstrap installed: the tunnel service, the host key it added to sshd, and
# ${EDGE_DIR}. The line it added to the login user's authorized_keys stays (remove it by hand if infrakt should
# no longer log in).
set -eu
[ "$(id -u)" -eq 0 ] || { echo "infrakt-edge: run this as root" >&2; exit 1; }
if [ -d /run/systemd/system ]; then systemctl disable --now ${TUNNEL_UNIT} 2>/dev/null || true; fi
rm -f /etc/systemd/system/${TUNNEL_UNIT} ${DEVICE_SSHD_DROP_IN}
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  for u in ssh.service sshd.service; do
    if systemctl is-active --quiet "$u"; then systemctl reload "$u"; fi
  done
fi
rm -rf ${EDGE_DIR}
echo "infrakt-edge: removed the tunnel service and infrakt's host key"
`;

/** Runs first: refuse early, before anything is written. */
export const PREFLIGHT = `say() { printf 'infrakt-edge: %s\\n' "$*"; }
die() { printf 'infrakt-edge: error: %s\\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run this as root (sudo sh $0)"
if [ "\${1:-}" = --uninstall ]; then
  [ -f ${EDGE_DIR}/uninstall.sh ] || die "nothing to uninstall (${EDGE_DIR}/uninstall.sh is missing)"
  exec /bin/sh ${EDGE_DIR}/uninstall.sh
fi
command -v ssh >/dev/null 2>&1 || die "the OpenSSH client is missing (apt-get install openssh-client)"
SSHD=$(command -v sshd 2>/dev/null || echo /usr/sbin/sshd)
[ -x "$SSHD" ] || die "the OpenSSH server is missing (apt-get install openssh-server)"
command -v ssh-keygen >/dev/null 2>&1 || die "ssh-keygen is missing (apt-get install openssh-client)"
getent passwd "$LOGIN_USER" >/dev/null || die "there is no user $LOGIN_USER on this device"
umask 077
mkdir -p ${EDGE_DIR}
chmod 700 ${EDGE_DIR}
(umask 022 && mkdir -p /etc/systemd/system)
# write FILE MODE < content: a temp file in the same directory, then one rename.
write() { cat > "$1.infrakt-tmp" && chmod "$2" "$1.infrakt-tmp" && mv -f "$1.infrakt-tmp" "$1"; }
`;

/** After the files: authorise infrakt, add the pinned host key to sshd, install and start the unit. */
export const INSTALL = `
# infrakt's login on this device.
if [ -n "$INFRAKT_KEY" ]; then
  home=$(getent passwd "$LOGIN_USER" | cut -d: -f6)
  group=$(id -gn "$LOGIN_USER")
  mkdir -p "$home/.ssh"
  chown "$LOGIN_USER:$group" "$home/.ssh"
  chmod 700 "$home/.ssh"
  touch "$home/.ssh/authorized_keys"
  grep -qxF "$INFRAKT_KEY" "$home/.ssh/authorized_keys" || printf '%s\\n' "$INFRAKT_KEY" >> "$home/.ssh/authorized_keys"
  chown "$LOGIN_USER:$group" "$home/.ssh/authorized_keys"
  chmod 600 "$home/.ssh/authorized_keys"
  say "infrakt's key is authorised for $LOGIN_USER"
fi

# sshd serves the host key infrakt pinned, besides its own keys.
KEY=${DEVICE_HOST_KEY_FILE}
hostkeys() { "$SSHD" -T 2>/dev/null | awk '$1 == "hostkey" { print $2 }'; }
rm -f ${DEVICE_SSHD_DROP_IN}
before=$(hostkeys) || true
[ -n "$before" ] || die "sshd -T failed: fix sshd's configuration first ($SSHD -t shows why)"
if ! printf '%s\\n' "$before" | grep -qxF "$KEY"; then
  clash=$(printf '%s\\n' "$before" | while IFS= read -r k; do
    if [ "$(ssh-keygen -y -f "$k" 2>/dev/null | cut -d' ' -f1)" = ${DEVICE_HOST_KEY_TYPE} ]; then printf '%s ' "$k"; fi
  done)
  [ -d "$(dirname ${DEVICE_SSHD_DROP_IN})" ] || die "sshd has no drop-in directory here: add 'HostKey $KEY' to /etc/ssh/sshd_config, keeping its other HostKey lines, then run this again"
  [ -z "$clash" ] || die "sshd already has a ${DEVICE_HOST_KEY_TYPE} host key ($clash): remove that HostKey, then run this again"
  printf '# infrakt edge: the host key infrakt pinned for this device\\nHostKey %s\\n' "$KEY" | write ${DEVICE_SSHD_DROP_IN} 644
  after=$(hostkeys) || true
  if ! printf '%s\\n' "$after" | grep -qxF "$KEY"; then
    rm -f ${DEVICE_SSHD_DROP_IN}
    die "sshd does not read ${DEVICE_SSHD_DROP_IN} (no 'Include /etc/ssh/sshd_config.d/*.conf' in /etc/ssh/sshd_config?): add 'HostKey $KEY' to /etc/ssh/sshd_config, keeping its other HostKey lines, then run this again"
  fi
  # A HostKey line switches sshd's default keys off: keep serving every key it served before.
  missing=$(printf '%s\\n' "$before" | while IFS= read -r k; do
    printf '%s\\n' "$after" | grep -qxF "$k" || printf 'HostKey %s\\n' "$k"
  done)
  if [ -n "$missing" ]; then
    { cat ${DEVICE_SSHD_DROP_IN}; printf '%s\\n' "$missing"; } | write ${DEVICE_SSHD_DROP_IN} 644
  fi
fi
if ! "$SSHD" -t; then
  rm -f ${DEVICE_SSHD_DROP_IN}
  die "sshd -t refused the configuration; ${DEVICE_SSHD_DROP_IN} removed"
fi

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  for u in ssh.service sshd.service; do
    if systemctl is-active --quiet "$u"; then systemctl reload "$u"; fi
  done
  systemctl enable ${TUNNEL_UNIT} >/dev/null 2>&1
  systemctl restart ${TUNNEL_UNIT}
  say "tunnel service started: systemctl status ${TUNNEL_UNIT}"
else
  say "systemd is not running here: reload sshd, then keep '${TUNNEL_EXEC_START}' running from your init system"
fi
say "device $DEVICE: dials $ENDPOINT_HOST:$ENDPOINT_PORT ($VIA) as $TUNNEL_USER; forward 127.0.0.1:$TUNNEL_PORT -> this sshd (port $DEVICE_SSH_PORT)"
say "infrakt expects this device's host key $HOST_KEY_FINGERPRINT; check from infrakt with: infrakt server test $DEVICE"
say "delete this script now: it holds the device's private keys (they are installed in ${EDGE_DIR})"
`;
