import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { InfraktError } from '../core/errors.js';
import type { PtySession } from '../core/executor.js';
import type { TerminalTicket, TerminalTickets } from './terminal-tickets.js';

const PATH_RE = /^\/api\/terminals\/([A-Za-z0-9_-]{43})$/;
// Output waits in the socket's buffer on a slow link; past HIGH the remote program is paused (it blocks on its
// writes, nothing is dropped) and resumes below LOW.
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
const DRAIN_POLL_MS = 50;

export interface TerminalSocketOptions {
  readonly tickets: TerminalTickets;
  /** Origins besides the server's own that may open terminals (the API's CORS origins). */
  readonly allowedOrigins?: readonly string[];
  /** Ping interval; a peer that answers no ping for three intervals is gone (default 15 s). */
  readonly pingMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * The terminal WebSocket at /api/terminals/{ticket}: the ticket (from the key-guarded API) is taken once, the
 * handshake must come from the dashboard's own origin (or an allowed one), then the pty session is relayed.
 * Closing the socket — a closed tab, a lost network — hangs the session up.
 */
export function attachTerminalSockets(server: Server, opts: TerminalSocketOptions): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  const allowed = new Set(opts.allowedOrigins ?? []);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const m = PATH_RE.exec(path);
    if (!m) return refuse(socket, 404, 'Not Found');
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host) && !allowed.has(origin)) {
      return refuse(socket, 403, 'Forbidden');
    }
    const ticket = opts.tickets.take(m[1] as string);
    if (!ticket) return refuse(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      void relay(ws, ticket, opts.pingMs ?? 15_000).catch((e: Error) => opts.log?.(`terminal: ${e.message}`));
    });
  };
  server.on('upgrade', onUpgrade);
  return {
    close() {
      server.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

async function relay(ws: WebSocket, ticket: TerminalTicket, pingMs: number): Promise<void> {
  const ac = new AbortController();
  let session: PtySession | null = null;
  // Set by socket events while the session opens (an object: TypeScript does not see callbacks assign a `let`).
  const state: { gone: boolean; size: { cols: number; rows: number } | null } = { gone: false, size: null };
  const control = (msg: Record<string, unknown>) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  ws.on('close', () => {
    state.gone = true;
    ac.abort();
    session?.close();
  });
  ws.on('error', () => ws.terminate());
  // Keystrokes typed before the session is up are dropped; a resize is kept for when it is.
  ws.on('message', (data: RawData, binary: boolean) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (binary) return void session?.write(bytes);
    const msg = parseControl(bytes.toString('utf8'));
    if (msg === null) return;
    if (session) session.resize(msg.cols, msg.rows);
    else state.size = { cols: msg.cols, rows: msg.rows };
  });
  const heartbeat = keepAlive(ws, pingMs);
  try {
    const opened = await ticket.open({ cols: ticket.cols, rows: ticket.rows, signal: ac.signal });
    session = opened.session;
    if (state.gone) {
      session.close();
      return;
    }
    if (state.size) session.resize(state.size.cols, state.size.rows);
    control({ type: 'ready', title: opened.title });
    const s = session;
    let paused = false;
    s.onData((chunk) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(chunk, { binary: true });
      if (!paused && ws.bufferedAmount > HIGH_WATER) {
        paused = true;
        s.pause();
        const drain = setInterval(() => {
          if (ws.readyState !== ws.OPEN || ws.bufferedAmount < LOW_WATER) {
            clearInterval(drain);
            paused = false;
            s.resume();
          }
        }, DRAIN_POLL_MS);
      }
    });
    const code = await s.exited;
    control({ type: 'exit', code });
    ws.close(1000, 'exited');
  } catch (e) {
    const err =
      e instanceof InfraktError
        ? { code: e.code, message: e.message, hint: e.hint }
        : { code: 'INTERNAL', message: 'the terminal could not be opened', hint: undefined };
    control({ type: 'error', error: err });
    ws.close(1011, 'error');
  } finally {
    clearInterval(heartbeat);
  }
}

function parseControl(text: string): { type: 'resize'; cols: number; rows: number } | null {
  try {
    const m = JSON.parse(text) as { type?: unknown; cols?: unknown; rows?: unknown };
    const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 1000;
    if (m.type === 'resize' && ok(m.cols) && ok(m.rows))
      return { type: 'resize', cols: m.cols as number, rows: m.rows as number };
  } catch {
    // not JSON: ignored, like any unknown control message
  }
  return null;
}

/** Pings the browser; one that answers nothing for three intervals is gone (its socket is ended). */
function keepAlive(ws: WebSocket, pingMs: number): NodeJS.Timeout {
  let missed = 0;
  ws.on('pong', () => {
    missed = 0;
  });
  return setInterval(() => {
    if (missed >= 3) return ws.terminate();
    missed++;
    ws.ping();
  }, pingMs);
}
