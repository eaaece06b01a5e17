import { z } from 'zod';

/** A one-time ticket for the terminal WebSocket (issued by the key-guarded API). */
export const terminalTicketSchema = z
  .object({
    ticket: z.string(),
    path: z.string().describe('Open a WebSocket on this path within 30 s; the ticket works once'),
    expiresAt: z.string(),
    title: z.string().describe('What the terminal is attached to'),
  })
  .meta({ id: 'TerminalTicket' });
export type TerminalTicket = z.infer<typeof terminalTicketSchema>;

/** Control messages the server sends as text frames (output travels in binary frames). */
export type TerminalServerMessage =
  | { type: 'ready'; title: string }
  | { type: 'exit'; code: number }
  | { type: 'error'; error: { code: string; message: string; hint?: string } };
