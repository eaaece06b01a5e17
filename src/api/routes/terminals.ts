import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { nameSchema } from '../../core/schemas/common.js';
import { terminalTicketSchema } from '../../core/schemas/views/terminal.js';
import { prepareAppTerminal } from '../../services/apps/app-exec.js';
import { prepareServerTerminal } from '../../services/servers/server-terminal.js';
import { type Api, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam } from '../schemas.js';

const tags = ['terminal'];

const size = {
  cols: z.number().int().min(1).max(1000).describe('Terminal width in characters'),
  rows: z.number().int().min(1).max(1000).describe('Terminal height in lines'),
};

export const appTerminalBody = z
  .object({
    ...size,
    mode: z
      .enum(['shell', 'exec', 'run'])
      .optional()
      .describe(
        'shell (default): a login shell in the running container; exec/run: `command` there or in a one-off container',
      ),
    command: z.array(z.string().max(16_384)).min(1).max(512).optional().describe('For exec and run'),
    service: z.string().max(63).optional().describe('Another service of a compose app'),
    server: nameSchema.optional(),
  })
  .meta({ id: 'AppTerminal' });

export const serverTerminalBody = z.object(size).meta({ id: 'ServerTerminal' });

export const TERMINAL_PROTOCOL =
  'The WebSocket carries the terminal: binary frames are keystrokes (client → server) and output (server → client); ' +
  'text frames are JSON control messages: the client sends {"type":"resize","cols","rows"}, the server sends ' +
  '{"type":"ready","title"}, {"type":"exit","code"} and {"type":"error","error":{code,message,hint}}. Closing the ' +
  'socket hangs the session up: the shell and the processes it started in the container end.';

/** The web terminal: a key-guarded request checks what to open and answers a one-time WebSocket ticket. */
export function terminalRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/terminal',
      tags,
      summary: 'Ticket for an interactive terminal in an app (shell, exec or run)',
      description: TERMINAL_PROTOCOL,
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: appTerminalBody } }, required: true },
      },
      responses: { 201: json(terminalTicketSchema, 'Ticket issued'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const { name } = c.req.valid('param');
      const prepared = await prepareAppTerminal(c.var.ctx, name, {
        mode: b.mode ?? 'shell',
        ...(b.command ? { command: b.command } : {}),
        ...(b.service ? { service: b.service } : {}),
        ...(b.server ? { server: b.server } : {}),
      });
      const t = deps.terminals.issue({ target: `app ${name}`, cols: b.cols, rows: b.rows, open: prepared.open });
      return c.json({ ...t, path: `/api/terminals/${t.ticket}`, title: prepared.title }, 201);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/servers/{name}/terminal',
      tags,
      summary: 'Ticket for a login shell on a server',
      description: TERMINAL_PROTOCOL,
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: serverTerminalBody } }, required: true },
      },
      responses: { 201: json(terminalTicketSchema, 'Ticket issued'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const { name } = c.req.valid('param');
      const prepared = await prepareServerTerminal(c.var.ctx, name);
      const t = deps.terminals.issue({ target: `server ${name}`, cols: b.cols, rows: b.rows, open: prepared.open });
      return c.json({ ...t, path: `/api/terminals/${t.ticket}`, title: prepared.title }, 201);
    },
  );
}
