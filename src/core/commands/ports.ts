import { type Cmd, exec, quietErr, seq } from '../cmd/index.js';

const SEPARATOR = '---';

/**
 * The ports in use on a server, in one round trip: listening and connected TCP sockets (`ss`) and the host
 * ports Docker publishes (a stopped-but-kept container's port is not in `ss`). Either tool may be missing.
 */
export function portsInUse(): Cmd {
  return seq(
    quietErr(exec('ss', '-Htan')),
    exec('echo', SEPARATOR),
    quietErr(exec('docker', 'ps', '--format', '{{.Ports}}')),
  );
}

/** Ports of `portsInUse()` output: the local address column of `ss -Htan`, and `host:port->` Docker mappings. */
export function parsePortsInUse(stdout: string): Set<number> {
  const lines = stdout.split('\n');
  // Split on the separator line itself, so a missing `ss` (no output before it) still leaves Docker's part apart.
  const sep = lines.indexOf(SEPARATOR);
  const ss = sep < 0 ? lines : lines.slice(0, sep);
  const dockerPorts = sep < 0 ? '' : lines.slice(sep + 1).join('\n');
  const used = new Set<number>();
  for (const line of ss) {
    const local = line.trim().split(/\s+/)[3];
    const m = local ? /:(\d+)$/.exec(local) : null;
    if (m) used.add(Number(m[1]));
  }
  for (const m of dockerPorts.matchAll(/:(\d+)->/g)) used.add(Number(m[1]));
  return used;
}

/**
 * Whether `portsInUse()` output shows a TCP socket listening on `host:port` (or on every address at that
 * port): e.g. Caddy's admin endpoint, so a deploy knows from its prepare batch whether Caddy runs.
 */
export function listensOn(stdout: string, host: string, port: number): boolean {
  const lines = stdout.split('\n');
  const sep = lines.indexOf(SEPARATOR);
  const wildcard = ['0.0.0.0', '*', '[::]', '::'];
  for (const line of sep < 0 ? lines : lines.slice(0, sep)) {
    const [state, , , local] = line.trim().split(/\s+/);
    if (state !== 'LISTEN' || !local) continue;
    const i = local.lastIndexOf(':');
    if (Number(local.slice(i + 1)) !== port) continue;
    const addr = local.slice(0, i).replace(/%.*$/, '');
    if (addr === host || addr === `[${host}]` || wildcard.includes(addr)) return true;
  }
  return false;
}
