import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { PRIVILEGE_CLASSES } from '../../core/compose-privileges.js';
import { nameSchema } from '../../core/schemas/common.js';
import { appPrivilegesViewSchema } from '../../core/schemas/views/apps.js';
import { setAppPrivileges } from '../../services/apps/privileges.js';
import { type Api, ERRORS, json, type RouteDeps, security } from '../route-kit.js';
import { nameParam } from '../schemas.js';

const tags = ['apps'];

const privilegesBody = z
  .object({
    server: nameSchema.optional(),
    /** The classes non-admin deploys of the app may use, replacing the current list; [] allows none. */
    allow: z.array(z.enum(PRIVILEGE_CLASSES)).max(PRIVILEGE_CLASSES.length),
  })
  .meta({ id: 'AppPrivilegesUpdate' });

/** What an admin allows an app's compose files to ask for beyond the non-admin rule (services/apps/privileges). */
export function privilegesRoutes(api: Api, _deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'put',
      path: '/api/apps/{name}/privileges',
      tags,
      summary:
        'Admins: the privileged compose options (privileged, cap_add, host_namespaces, devices, security_opt, docker_socket, host_mounts) non-admin deploys of the app may use',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: privilegesBody } }, required: true },
      },
      responses: { 200: json(appPrivilegesViewSchema, 'The allowance now'), ...ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      return c.json(await setAppPrivileges(c.var.ctx, c.req.valid('param').name, b.allow, { server: b.server }), 200);
    },
  );
}
