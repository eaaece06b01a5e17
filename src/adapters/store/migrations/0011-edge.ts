import type { Migration } from './types.js';

/**
 * Edge servers behind NAT (issue 21): the control host's own meeting-point settings (one row), relays (SSH servers
 * the user owns where devices and infrakt meet), and per device the forwarded loopback port, the device's tunnel
 * public key (authorised for that one reverse forward) and when its tunnel was last seen up. The device's pinned
 * host key stays in `servers.host_key` like any server's; its `host`/`port` are the forwarded loopback endpoint.
 */
export const edge: Migration = {
  version: 11,
  name: 'edge',
  sql: `
CREATE TABLE edge_control (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  endpoint_host TEXT NOT NULL,
  endpoint_port INTEGER NOT NULL,
  tunnel_user TEXT NOT NULL,
  keys_user TEXT NOT NULL,
  host_keys TEXT NOT NULL,
  port_min INTEGER NOT NULL,
  port_max INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE edge_relays (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  host TEXT NOT NULL,
  port INTEGER NOT NULL,
  user TEXT NOT NULL,
  key_path TEXT,
  host_key TEXT NOT NULL,
  host_key_fingerprint TEXT NOT NULL,
  tunnel_user TEXT NOT NULL,
  keys_file TEXT NOT NULL,
  port_min INTEGER NOT NULL,
  port_max INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE edge_devices (
  server_id INTEGER PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,
  relay_id INTEGER REFERENCES edge_relays(id),
  tunnel_port INTEGER NOT NULL,
  device_ssh_port INTEGER NOT NULL,
  tunnel_key TEXT NOT NULL,
  last_seen_at TEXT,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX edge_devices_control_port ON edge_devices(tunnel_port) WHERE relay_id IS NULL;
CREATE UNIQUE INDEX edge_devices_relay_port ON edge_devices(relay_id, tunnel_port) WHERE relay_id IS NOT NULL;
`,
};
