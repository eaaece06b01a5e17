import { quote } from '../cmd/index.js';
import {
  DEVICE_HOST_KEY_FILE,
  DEVICE_HOST_KEY_TYPE,
  EDGE_DIR,
  INSTALL,
  MEETING_POINT_ALIAS,
  PREFLIGHT,
  TUNNEL_SH,
  TUNNEL_UNIT,
  TUNNEL_UNIT_FILE,
  UNINSTALL_SH,
} from '../edge/bootstrap-scripts.js';
import { Secret } from '../secret.js';

/** Everything device-specific in a bootstrap script. All of it is validated here again before it is written. */
export interface EdgeBootstrapInput {
  readonly device: string;
  readonly generatedAt: string;
  /** What the device dials, and a few words for people ("the control host", "relay r1"). */
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly via: string;
  /** `<type> <base64>` host keys of the meeting point: the device pins them. */
  readonly endpointHostKeys: readonly string[];
  readonly tunnelUser: string;
  readonly tunnelPort: number;
  readonly deviceSshPort: number;
  /** The account infrakt logs in as; `infraktKey` (a public key line) is authorised for it when given. */
  readonly loginUser: string;
  readonly infraktKey: string | null;
  /** OpenSSH private key of the device's tunnel (ed25519). */
  readonly tunnelPrivateKey: Secret;
  /** The device host key infrakt generated and pinned (OpenSSH private key, `ecdsa-sha2-nistp384`). */
  readonly hostPrivateKey: Secret;
  readonly hostPublicKey: string;
  readonly hostKeyFingerprint: string;
}

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
const HOST_RE = /^[A-Za-z0-9.:-]{1,253}$/;
const KEY_LINE_RE =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|rsa-sha2-(256|512)) [A-Za-z0-9+/]+=*( [ -~]{0,200})?$/;
const PEM_RE = /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END OPENSSH PRIVATE KEY-----\n?$/;
const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`edge bootstrap: invalid ${what}`);
}

const isPort = (p: number) => Number.isInteger(p) && p >= 1 && p <= 65535;

function validate(i: EdgeBootstrapInput): void {
  check(NAME_RE.test(i.device), 'device name');
  check(HOST_RE.test(i.endpoint.host) && isPort(i.endpoint.port), 'endpoint');
  check(i.endpointHostKeys.length > 0 && i.endpointHostKeys.every((k) => KEY_LINE_RE.test(k)), 'endpoint host keys');
  check(USER_RE.test(i.tunnelUser) && USER_RE.test(i.loginUser), 'user');
  check(isPort(i.tunnelPort) && i.tunnelPort >= 1024 && isPort(i.deviceSshPort), 'port');
  check(i.infraktKey === null || KEY_LINE_RE.test(i.infraktKey), 'infrakt public key');
  check(PEM_RE.test(i.tunnelPrivateKey.reveal()) && PEM_RE.test(i.hostPrivateKey.reveal()), 'private key');
  check(i.hostPublicKey.startsWith(`${DEVICE_HOST_KEY_TYPE} `) && KEY_LINE_RE.test(i.hostPublicKey), 'host key');
  check(FINGERPRINT_RE.test(i.hostKeyFingerprint), 'host key fingerprint');
  check(/^[ -~]{1,80}$/.test(i.via) && !i.via.includes("'"), 'via');
}

/** A heredoc with a quoted delimiter: its content is taken literally (no expansion), written by `write`. */
function file(path: string, mode: string, content: string): string {
  const body = content.endsWith('\n') ? content : `${content}\n`;
  if (body.split('\n').includes('INFRAKT_EDGE_EOF'))
    throw new Error('edge bootstrap: file content holds the delimiter');
  return `write ${path} ${mode} <<'INFRAKT_EDGE_EOF'\n${body}INFRAKT_EDGE_EOF\n`;
}

const assign = (name: string, value: string | number) => `${name}=${quote(String(value))}`;

/**
 * The bootstrap script for one edge device: a POSIX sh script run once as root on the device. It carries the
 * device's private keys, hence a Secret: print or write it only where the user asked for it.
 */
export function renderEdgeBootstrap(i: EdgeBootstrapInput): Secret {
  validate(i);
  const data = [
    assign('DEVICE', i.device),
    assign('VIA', i.via),
    assign('ENDPOINT_HOST', i.endpoint.host),
    assign('ENDPOINT_PORT', i.endpoint.port),
    assign('TUNNEL_USER', i.tunnelUser),
    assign('TUNNEL_PORT', i.tunnelPort),
    assign('DEVICE_SSH_PORT', i.deviceSshPort),
    assign('LOGIN_USER', i.loginUser),
    assign('INFRAKT_KEY', i.infraktKey ?? ''),
    assign('HOST_KEY_FINGERPRINT', i.hostKeyFingerprint),
  ];
  const tunnelConf = data.filter((l) =>
    /^(ENDPOINT_HOST|ENDPOINT_PORT|TUNNEL_USER|TUNNEL_PORT|DEVICE_SSH_PORT)=/.test(l),
  );
  const knownHosts = i.endpointHostKeys.map((k) => `${MEETING_POINT_ALIAS} ${k}`).join('\n');
  const script = [
    '#!/bin/sh',
    `# infrakt edge bootstrap for device '${i.device}', generated ${i.generatedAt}.`,
    `# Run it once on the device as root (sudo sh <this file>); running it again is safe. It installs`,
    `# ${TUNNEL_UNIT}, which keeps an outbound reverse SSH tunnel to ${i.via} up, and the host key infrakt pinned.`,
    "# It holds this device's private keys: move it over a channel you trust and delete it once it ran.",
    '# Undo with: sudo sh <this file> --uninstall   (or: sudo sh /etc/infrakt-edge/uninstall.sh)',
    'set -eu',
    '',
    ...data,
    '',
    PREFLIGHT,
    file(`${EDGE_DIR}/id_ed25519`, '600', i.tunnelPrivateKey.reveal()),
    file(`${EDGE_DIR}/known_hosts`, '644', knownHosts),
    file(DEVICE_HOST_KEY_FILE, '600', i.hostPrivateKey.reveal()),
    file(
      `${DEVICE_HOST_KEY_FILE}.pub`,
      '644',
      `${i.hostPublicKey.split(' ').slice(0, 2).join(' ')} infrakt-edge:${i.device}`,
    ),
    file(`${EDGE_DIR}/tunnel.conf`, '600', tunnelConf.join('\n')),
    file(`${EDGE_DIR}/tunnel.sh`, '755', TUNNEL_SH),
    file(`${EDGE_DIR}/uninstall.sh`, '755', UNINSTALL_SH),
    file(`/etc/systemd/system/${TUNNEL_UNIT}`, '644', TUNNEL_UNIT_FILE),
    INSTALL,
  ].join('\n');
  return new Secret(script);
}
