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
