import { type Cmd, exec, fromFile, mergeStderr, toFile } from '../cmd/index.js';

/** Where infrakt keeps a server's Caddy state (agreed with provisioning: the unit runs this file). */
export const caddyPaths = (root: string) => ({
  dir: `${root}/caddy`,
  config: `${root}/caddy/Caddyfile`,
  candidate: `${root}/caddy/Caddyfile.next`,
  previous: `${root}/caddy/Caddyfile.prev`,
  pidfile: `${root}/caddy/caddy.pid`,
  log: `${root}/caddy/caddy.log`,
  data: `${root}/caddy/data`,
});

export const validate = (file: string): Cmd =>
  mergeStderr(exec('caddy', 'validate', '--config', file, '--adapter', 'caddyfile'));

/** Graceful reload through the admin endpoint of the running Caddy (in-flight requests finish). */
export const reload = (file: string, adminAddress: string): Cmd =>
  mergeStderr(exec('caddy', 'reload', '--config', file, '--adapter', 'caddyfile', '--address', adminAddress));

/** Exit 0 when a systemd unit `caddy` is active (provisioned servers). */
export const systemdActive = (): Cmd =>
  toFile(mergeStderr(exec('systemctl', 'is-active', '--quiet', 'caddy')), '/dev/null');
export const systemdReload = (): Cmd => mergeStderr(exec('systemctl', 'reload', 'caddy'));

/**
 * Starts Caddy detached from the SSH session (`setsid -w` waits for `caddy start`, which returns once Caddy
 * answers): its output goes to a log file so a closed channel can never SIGPIPE it.
 */
export function start(paths: ReturnType<typeof caddyPaths>): Cmd {
  const cmd = exec(
    'setsid',
    '-w',
    'caddy',
    'start',
    '--config',
    paths.config,
    '--adapter',
    'caddyfile',
    '--pidfile',
    paths.pidfile,
  );
  return fromFile(toFile(mergeStderr(cmd), paths.log), '/dev/null');
}

/** Stops the Caddy listening on this admin address (the one `start` launched). */
export const stop = (adminAddress: string): Cmd => mergeStderr(exec('caddy', 'stop', '--address', adminAddress));

// The drain loop, constant text: every value reaches it as a positional parameter (quoted by render).
// $1 the admin API's upstreams URL, $2 the draining upstreams (`127.0.0.1:<port>`, space-separated), $3 the
// deadline in s, $4 the fixed wait in s when Caddy cannot tell (no curl, no answer, an upstream not in its
// pool), $5 the poll interval in s. Two idle readings in a row end it: a request the previous config accepted
// just before the reload has had a poll's time to reach its upstream's count.
const DRAIN_LOOP = [
  'url=$1 upstreams=$2 fallback=$4 every=$5',
  'fixed() { sleep "$fallback"; echo "fixed $1"; exit 0; }',
  'command -v curl >/dev/null 2>&1 || fixed no-curl',
  'end=$(( $(date +%s) + $3 )); idle=0; most=0',
  'while :; do',
  '  body=$(curl -gsf -m 2 "$url") || fixed no-answer',
  '  busy=0',
  '  for a in $upstreams; do',
  `    n=$(printf '%s' "$body" | grep -o "\\"address\\":\\"$a\\",\\"num_requests\\":[0-9]*" | head -n 1 | sed 's/.*://')`,
  '    [ -n "$n" ] || fixed not-in-pool',
  '    busy=$((busy + n))',
  '  done',
  '  [ "$busy" -gt "$most" ] && most=$busy',
  '  if [ "$busy" -eq 0 ]; then idle=$((idle + 1)); else idle=0; fi',
  '  if [ "$idle" -ge 2 ]; then echo "drained $most"; exit 0; fi',
  '  if [ "$(date +%s)" -ge "$end" ]; then echo "timeout $busy"; exit 0; fi',
  '  sleep "$every"',
  'done',
].join('\n');

/**
 * Waits until Caddy has no request in flight to the previous release's upstreams (they stay in its pool behind
 * the new upstream for this: see `drainingPorts` of the renderer), asking its admin API
 * (`/reverse_proxy/upstreams`), up to `timeoutSec`. Where Caddy cannot tell, a fixed `fallbackMs` wait. Always
 * exits 0; its last line says how it ended (`parseDrain`).
 */
export function drainUpstreams(o: {
  adminAddress: string;
  ports: readonly number[];
  timeoutSec: number;
  fallbackMs: number;
  intervalMs?: number;
}): Cmd {
  if (!/^(localhost|127\.0\.0\.1|\[::1\]):[0-9]{1,5}$/.test(o.adminAddress))
    throw new Error(`invalid Caddy admin address: ${o.adminAddress}`);
  for (const p of o.ports) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`invalid port: ${p}`);
  if (o.ports.length === 0) throw new Error('drainUpstreams: no upstream to drain');
  const secs = (ms: number) => (Math.max(0, ms) / 1000).toString();
  return exec(
    'sh',
    '-c',
    DRAIN_LOOP,
    'drain',
    `http://${o.adminAddress}/reverse_proxy/upstreams`,
    o.ports.map((p) => `127.0.0.1:${p}`).join(' '),
    String(Math.max(0, Math.trunc(o.timeoutSec))),
    secs(o.fallbackMs),
    secs(Math.max(20, o.intervalMs ?? 50)),
  );
}

export type DrainOutcome =
  | { kind: 'drained'; mostInFlight: number }
  | { kind: 'timeout'; inFlight: number }
  | { kind: 'fixed'; reason: 'no-curl' | 'no-answer' | 'not-in-pool' | string };

/** How `drainUpstreams` ended, from its output (null when it printed nothing it knows). */
export function parseDrain(stdout: string): DrainOutcome | null {
  const last = stdout.trim().split('\n').pop()?.trim() ?? '';
  const m = /^(drained|timeout|fixed) (\S+)$/.exec(last);
  if (!m) return null;
  if (m[1] === 'drained') return { kind: 'drained', mostInFlight: Number(m[2]) };
  if (m[1] === 'timeout') return { kind: 'timeout', inFlight: Number(m[2]) };
  return { kind: 'fixed', reason: m[2]! };
}
