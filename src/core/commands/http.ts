import { type Cmd, exec, render } from '../cmd/index.js';

/**
 * A minimal HTTP/1.1 exchange for health checks, spoken over a TCP stream the executor opens on the server
 * (so no curl/wget is needed there). Pure: builds the request bytes and reads the status line.
 */
export function healthRequest(path: string, host = 'localhost'): string {
  if (!path.startsWith('/') || /[\s\r\n]/.test(path)) throw new Error(`invalid health path: ${path}`);
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: infrakt-health\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
}

/** Status code from the first response line, or null while it has not fully arrived / is not HTTP. */
export function parseHttpStatus(head: string): number | null {
  const end = head.indexOf('\r\n');
  const line = end === -1 ? head : head.slice(0, end);
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: |$)/.exec(line);
  if (!m || end === -1) return null;
  return Number(m[1]);
}

/** The health rule: 200-399 means ready (redirects count: the app answers). */
export const isHealthy = (status: number | null): boolean => status !== null && status >= 200 && status < 400;

/** Exit statuses of `healthWait` besides 0 (healthy). */
export const HEALTH_EXIT = { timedOut: 95, stopped: 96, noCurl: 97 } as const;

// The loop of `healthWait`, constant text: every value reaches it as a positional parameter (quoted by render).
// $1 URL, $2 accepted statuses besides 200-399 (space-separated), $3 deadline in s, $4 interval in s,
// $5 the check that the release still runs (a command line), $6 probe timeout in s.
const HEALTH_LOOP = [
  'command -v curl >/dev/null 2>&1 || exit 97',
  'end=$(( $(date +%s) + $3 )); n=0',
  'while :; do',
  '  n=$((n + 1))',
  "  code=$(curl -gs -o /dev/null -m \"$6\" -H 'Host: localhost' -H 'User-Agent: infrakt-health' -w '%{http_code}' \"$1\"); rc=$?",
  '  echo "probe $n $code $rc"',
  '  case "$code" in 2??|3??) exit 0 ;; esac',
  '  case " $2 " in *" $code "*) exit 0 ;; esac',
  '  if [ $((n % 3)) -eq 0 ] && ! sh -c "$5" </dev/null; then exit 96; fi',
  '  [ "$(date +%s)" -ge "$end" ] && exit 95',
  '  sleep "$4"',
  'done',
].join('\n');

/**
 * The health wait run on the server itself (one round trip however many probes): GET the health path on the
 * release's loopback port with curl every `intervalMs` until it answers 200-399 (or an accepted status), the
 * release stopped running (checked every third probe: exit 96), or the deadline passed (exit 95). Each probe
 * prints `probe <n> <status> <curl exit>` (status 000: no answer). Without curl on the server: exit 97, and
 * the caller probes through the connection instead.
 */
export function healthWait(o: {
  port: number;
  path: string;
  accept?: readonly number[];
  timeoutMs: number;
  intervalMs: number;
  stillRunning: Cmd;
  probeTimeoutMs: number;
}): Cmd {
  healthRequest(o.path); // same checks on the path
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new Error(`invalid port: ${o.port}`);
  const secs = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));
  return exec(
    'sh',
    '-c',
    HEALTH_LOOP,
    'health',
    `http://127.0.0.1:${o.port}${o.path}`,
    (o.accept ?? []).map((n) => String(Math.trunc(n))).join(' '),
    secs(o.timeoutMs),
    (Math.max(100, o.intervalMs) / 1000).toString(),
    render(o.stillRunning),
    secs(o.probeTimeoutMs),
  );
}

/** One `probe <n> <status> <curl exit>` line of `healthWait`, or null for any other line. */
export function parseProbeLine(line: string): { attempt: number; status: number | null; curlExit: number } | null {
  const m = /^probe (\d+) (\d{3}) (\d+)$/.exec(line.trim());
  if (!m) return null;
  const status = Number(m[2]);
  return { attempt: Number(m[1]), status: status === 0 ? null : status, curlExit: Number(m[3]) };
}

const CURL_ERRORS: Record<number, string> = {
  6: 'cannot resolve the host',
  7: 'connection refused',
  28: 'no answer in time',
  52: 'empty reply',
  56: 'connection reset',
};

/** A probe as people read it: `HTTP 503 on /health`, `no answer (connection refused)`. */
export function describeProbe(p: { status: number | null; curlExit: number }, path: string): string {
  if (p.status !== null) return `HTTP ${p.status} on ${path}`;
  return `no answer (${CURL_ERRORS[p.curlExit] ?? `curl exit ${p.curlExit}`})`;
}
