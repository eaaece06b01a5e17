import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { nameSchema } from '../../core/schemas/common.js';
import { passwordSchema, userAddSchema, userUpdateSchema } from '../../core/schemas/team.js';
import { userViewSchema } from '../../core/schemas/views/team.js';
import { addUser, listUsers, removeUser, setPassword, updateUser } from '../../services/users/users.js';
import { type Api, ERRORS, json, security } from '../route-kit.js';

const tags = ['users'];
const nameParam = z.object({ name: nameSchema });
const body = <S extends z.ZodType>(schema: S) => ({ content: { 'application/json': { schema } }, required: true });

/** Users and their roles (admin only): viewer, deployer, admin, optionally limited to servers. */
export function userRoutes(api: Api): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/users',
      tags,
      summary: 'List users with role, servers and live sessions',
      security,
      responses: { 200: json(z.array(userViewSchema), 'Users'), ...ERRORS },
    }),
    async (c) => c.json(await listUsers(c.var.ctx), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/users',
      tags,
      summary: 'Add a user (password hashed with scrypt; without one, the user signs in through OpenID Connect)',
      security,
      request: { body: body(userAddSchema.meta({ id: 'UserAdd' })) },
      responses: { 201: json(userViewSchema, 'Added'), ...ERRORS },
    }),
    async (c) => c.json(await addUser(c.var.ctx, c.req.valid('json')), 201),
  );

  api.openapi(
    createRoute({
      method: 'patch',
      path: '/api/users/{name}',
      tags,
      summary: "Change a user's role, servers or email (their sessions end)",
      security,
      request: { params: nameParam, body: body(userUpdateSchema.meta({ id: 'UserUpdate' })) },
      responses: { 200: json(userViewSchema, 'Updated'), ...ERRORS },
    }),
    async (c) => c.json(await updateUser(c.var.ctx, c.req.valid('param').name, c.req.valid('json')), 200),
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/users/{name}',
      tags,
      summary: 'Remove a user and end their sessions',
      security,
      request: { params: nameParam },
      responses: { 200: json(z.object({ removed: z.string() }), 'Removed'), ...ERRORS },
    }),
    async (c) => c.json(await removeUser(c.var.ctx, c.req.valid('param').name), 200),
  );

  api.openapi(
    createRoute({
      method: 'put',
      path: '/api/users/{name}/password',
      tags,
      summary: "Set a user's password (every session of theirs ends)",
      security,
      request: { params: nameParam, body: body(z.object({ password: passwordSchema }).meta({ id: 'PasswordSet' })) },
      responses: {
        200: json(z.object({ user: z.string(), sessionsEnded: z.number().int() }), 'Password set'),
        ...ERRORS,
      },
    }),
    async (c) => c.json(await setPassword(c.var.ctx, c.req.valid('param').name, c.req.valid('json').password), 200),
  );
}
