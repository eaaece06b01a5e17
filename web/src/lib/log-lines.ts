export interface AppLogLine {
  n: number;
  text: string;
  stream: string;
}

// CSI / OSC escape sequences (colours, "erase line") that compose writes for terminals.
const ANSI_RE = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\r/g;

export const stripAnsi = (s: string): string => s.replace(ANSI_RE, '');

/** An app log event may be a plain line or `{ line | message, stream?, service? }`. */
export function parseLogEvent(data: string): { text: string; stream: string }[] {
  let payload: unknown = data;
  try {
    payload = JSON.parse(data);
  } catch {
    // plain text line
  }
  const one = (p: unknown): { text: string; stream: string } | null => {
    if (typeof p === 'string') return { text: stripAnsi(p), stream: 'stdout' };
    if (p && typeof p === 'object') {
      const o = p as Record<string, unknown>;
      const text = typeof o.line === 'string' ? o.line : typeof o.message === 'string' ? o.message : null;
      if (text === null) return null;
      const prefix = typeof o.service === 'string' && o.service ? `${o.service} | ` : '';
      return { text: stripAnsi(prefix + text), stream: typeof o.stream === 'string' ? o.stream : 'stdout' };
    }
    return null;
  };
  if (Array.isArray(payload)) return payload.map(one).filter((l) => l !== null);
  if (payload && typeof payload === 'object' && Array.isArray((payload as { lines?: unknown }).lines)) {
    return (payload as { lines: unknown[] }).lines.map(one).filter((l) => l !== null);
  }
  const l = one(payload);
  return l ? [l] : [];
}

/** Case-insensitive substring filter; an empty query keeps everything. */
export function filterLines<T extends { text: string }>(lines: T[], query: string): T[] {
  const q = query.trim().toLowerCase();
  return q ? lines.filter((l) => l.text.toLowerCase().includes(q)) : lines;
}
