import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { nameSchema } from '../../core/schemas/common.js';
import { oidcProviderViewSchema } from '../../core/schemas/views/team.js';
import { addOidcProvider, oidcProviderAddSchema } from '../../services/auth/provider-setup.js';
import { listProviders, removeProvider } from '../../services/auth/providers.js';
import { type Api, ERRORS, json, security } from '../route-kit.js';

const tags = ['auth'];

/** Sign-in providers (admin only): OpenID Connect issuers whose verified emails sign in as infrakt users. */
export function oidcProviderRoutes(api: Api): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/oidc/providers',
      tags,
      summary: 'List sign-in providers (issuer, client id, allow rules; never the client secret)',
      security,
      responses: { 200: json(z.array(oidcProviderViewSchema), 'Providers'), ...ERRORS },
    }),
    async (c) => c.json(await listProviders(c.var.ctx), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/oidc/providers',
      tags,
      summary:
        'Add an OpenID Connect provider: its discovery document is read and checked first (https unless loopback); the client secret is sealed under the master key',
      security,
      request: {
        body: {
          content: { 'application/json': { schema: oidcProviderAddSchema.meta({ id: 'OidcProviderAdd' }) } },
          required: true,
        },
      },
      responses: { 201: json(oidcProviderViewSchema, 'Added'), ...ERRORS },
    }),
    async (c) => c.json(await addOidcProvider(c.var.ctx, c.req.valid('json')), 201),
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/oidc/providers/{name}',
      tags,
      summary: 'Remove a sign-in provider (sessions already open stay until they expire or are ended)',
      security,
      request: { params: z.object({ name: nameSchema }) },
      responses: { 200: json(z.object({ removed: z.string() }), 'Removed'), ...ERRORS },
    }),
    async (c) => c.json(await removeProvider(c.var.ctx, c.req.valid('param').name), 200),
  );
}
