import { randomBytes } from 'node:crypto';
import type { PtySession } from '../core/executor.js';

export type OpenTerminalFn = (size: {
  cols: number;
  rows: number;
  signal?: AbortSignal;
}) => Promise<{ session: PtySession; title: string }>;

export interface TerminalTicket {
  readonly target: string;
  readonly cols: number;
  readonly rows: number;
  readonly open: OpenTerminalFn;
}

const MAX_OUTSTANDING = 64;

/**
 * One-time tickets for the terminal WebSocket. A browser cannot put the API key in a WebSocket handshake, so
 * the key-guarded API checks the request and hands out a ticket (256 random bits, valid for `ttlMs`, good for
 * one connection); the socket endpoint takes it. In memory: one process serves the API and its sockets.
 */
export class TerminalTickets {
  private readonly tickets = new Map<string, TerminalTicket & { expires: number }>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  issue(ticket: TerminalTicket): { ticket: string; expiresAt: string } {
    this.sweep();
    // Bounded: the oldest unused ticket goes first.
    if (this.tickets.size >= MAX_OUTSTANDING) {
      const oldest = this.tickets.keys().next().value;
      if (oldest !== undefined) this.tickets.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const expires = this.now() + this.ttlMs;
    this.tickets.set(id, { ...ticket, expires });
    return { ticket: id, expiresAt: new Date(expires).toISOString() };
  }

  /** The ticket's terminal, once: a second use, an unknown or an expired ticket gives null. */
  take(id: string): TerminalTicket | null {
    const t = this.tickets.get(id);
    if (!t) return null;
    this.tickets.delete(id);
    return t.expires > this.now() ? t : null;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, t] of this.tickets) if (t.expires <= now) this.tickets.delete(id);
  }
}
