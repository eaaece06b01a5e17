import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { nameSchema } from '../../core/schemas/common.js';
import { tokenCreateSchema } from '../../core/schemas/team.js';
import { tokenCreatedSchema, tokenViewSchema } from '../../core/schemas/views/team.js';
import { createToken, listTokens, revokeToken } from '../../services/tokens/tokens.js';
import { type Api, ERRORS, json, security } from '../route-kit.js';

const tags = ['tokens'];
const tokenCreateBody = tokenCreateSchema
  .omit({ expires: true })
  .extend({ expires: z.string().max(20).optional().describe('e.g. 30d, 12h; absent: never') })
  .meta({ id: 'TokenCreate' });

/** Scoped API tokens (service accounts): shown once, stored hashed, revocable. */
export function tokenRoutes(api: Api): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/tokens',
      tags,
      summary: 'List tokens: scope, limits, last use, expiry, status (never the secret)',
      security,
      responses: { 200: json(z.array(tokenViewSchema), 'Tokens'), ...ERRORS },
    }),
    async (c) => c.json(await listTokens(c.var.ctx), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/tokens',
      tags,
      summary: 'Create a token; `secret` is in this response only',
      description: 'Use it as `Authorization: Bearer <secret>`. `expires` like 30d, 12h; `app`/`server` limit it.',
      security,
      request: {
        body: { content: { 'application/json': { schema: tokenCreateBody } }, required: true },
      },
      responses: { 201: json(tokenCreatedSchema, 'Created'), ...ERRORS },
    }),
    async (c) => c.json(await createToken(c.var.ctx, c.req.valid('json')), 201),
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/tokens/{name}',
      tags,
      summary: 'Revoke a token (refused on its next request)',
      security,
      request: { params: z.object({ name: nameSchema }) },
      responses: { 200: json(tokenViewSchema, 'Revoked'), ...ERRORS },
    }),
    async (c) => c.json(await revokeToken(c.var.ctx, c.req.valid('param').name), 200),
  );
}
