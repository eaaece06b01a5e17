import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import {
  envDeletedSchema,
  envEntrySchema,
  envExportSchema,
  envImportResultSchema,
  envSetResultSchema,
  envValueSchema,
} from '../../core/schemas/views/env.js';
import { deleteEnv, getEnv, listEnv, setEnv } from '../../services/apps/env.js';
import { exportEnv, importEnv } from '../../services/apps/env-file.js';
import { audit } from '../../services/shared/audit.js';
import { type Api, ERRORS, json, type RouteDeps, security } from '../route-kit.js';
import { envImportBody, envKeyParam, envSetBody, nameParam, serverQuery } from '../schemas.js';

const tags = ['env'];

/** Env vars: values are masked everywhere except the explicit POST …/reveal routes. */
export function envRoutes(api: Api, _deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/env',
      tags,
      summary: 'List variables, values masked',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(z.array(envEntrySchema), 'Variables (masked)'), ...ERRORS },
    }),
    async (c) => {
      const entries = await listEnv(c.var.ctx, c.req.valid('param').name, { server: c.req.valid('query').server });
      return c.json(entries, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'put',
      path: '/api/apps/{name}/env',
      tags,
      summary: 'Set variables (all or nothing); apply with env push or a deploy',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: envSetBody } }, required: true },
      },
      responses: { 200: json(envSetResultSchema, 'Set'), ...ERRORS },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const body = c.req.valid('json');
      // The service takes KEY=VALUE pairs (split at the first "="); keys are checked before joining.
      const pairs = Object.entries(body.vars).map(([k, v]) => `${k}=${v}`);
      const keys = await setEnv(c.var.ctx, name, pairs, body.server);
      return c.json({ app: name, set: keys }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/apps/{name}/env/{key}',
      tags,
      summary: 'Delete a variable',
      security,
      request: { params: envKeyParam, query: serverQuery },
      responses: { 200: json(envDeletedSchema, 'Deleted'), ...ERRORS },
    }),
    async (c) => {
      const { name, key } = c.req.valid('param');
      await deleteEnv(c.var.ctx, name, key, c.req.valid('query').server);
      return c.json({ app: name, deleted: key }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/env/{key}/reveal',
      tags,
      summary: 'Decrypt and return one value (explicit; recorded in the audit log)',
      security,
      request: { params: envKeyParam, query: serverQuery },
      responses: { 200: json(envValueSchema, 'The value'), ...ERRORS },
    }),
    async (c) => {
      const { name, key } = c.req.valid('param');
      const value = await getEnv(c.var.ctx, name, key, c.req.valid('query').server);
      await audit(c.var.ctx, 'env.reveal', name, { keys: [key] });
      return c.json({ key, value: value.reveal() }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/env/reveal',
      tags,
      summary: 'Decrypt and return all values of an app',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(z.array(envEntrySchema), 'Variables with values'), ...ERRORS },
    }),
    async (c) => {
      const entries = await listEnv(c.var.ctx, c.req.valid('param').name, {
        reveal: true,
        server: c.req.valid('query').server,
      });
      await audit(c.var.ctx, 'env.reveal', c.req.valid('param').name, { keys: entries.map((e) => e.key) });
      return c.json(entries, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/env/import',
      tags,
      summary: 'Set variables from a dotenv file (every line checked first, all written in one transaction)',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: envImportBody } }, required: true },
      },
      responses: { 200: json(envImportResultSchema, 'Imported'), ...ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const r = await importEnv(c.var.ctx, c.req.valid('param').name, body.dotenv, {
        replace: body.replace === true,
        ...(body.server ? { server: body.server } : {}),
      });
      return c.json(r, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/env/export',
      tags,
      summary: 'Decrypt all variables of an app as a dotenv file (explicit; recorded in the audit log)',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(envExportSchema, 'The dotenv file'), ...ERRORS },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const r = await exportEnv(c.var.ctx, name, c.req.valid('query').server);
      return c.json({ app: name, keys: r.keys, dotenv: r.text }, 200);
    },
  );
}
