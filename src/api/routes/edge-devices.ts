import { createRoute } from '@hono/zod-openapi';
import { edgeServerAddedSchema } from '../../core/schemas/views/servers.js';
import { addEdgeServer } from '../../services/edge/devices.js';
import { type Api, ERRORS, json, security } from '../route-kit.js';
import { edgeServerAddBody } from '../schemas.js';

const tags = ['servers'];

/** Edge servers (devices behind NAT that dial out): the same `addEdgeServer` as `server add --edge`. */
export function edgeDeviceRoutes(api: Api): void {
  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/edge/servers',
      tags,
      summary:
        'Register an edge server: allocates its tunnel port, authorises its tunnel key at the meeting point, pins the host key it will present, and returns its bootstrap script once',
      description:
        'The bootstrap script holds the private keys of the device and is not stored: this response is the only copy. Needs `infrakt edge setup` (or an existing relay) first.',
      security,
      request: { body: { content: { 'application/json': { schema: edgeServerAddBody } }, required: true } },
      responses: {
        201: json(edgeServerAddedSchema, 'Registered; run the script once on the device as root'),
        ...ERRORS,
      },
    }),
    async (c) => {
      const r = await addEdgeServer(c.var.ctx, c.req.valid('json'), { keysIn: c.var.ctx.paths.keys });
      c.header('Location', `/api/servers/${r.server.name}`);
      // The body carries private keys; every /api answer is already `Cache-Control: no-store` (app.ts).
      return c.json(
        {
          server: r.server,
          bootstrap: r.bootstrap.reveal(),
          hostKeyFingerprint: r.hostKeyFingerprint,
          tunnelPort: r.tunnelPort,
          loginKeyIncluded: r.loginKeyIncluded,
        },
        201,
      );
    },
  );
}
