import { z } from 'zod';
import type { Api } from './route-kit.js';

type RouteConfig = Parameters<Api['openapi']>[0];

/**
 * Every route registered on `api` from here on refuses JSON body fields it does not know (400 naming them) instead
 * of dropping them: a misspelt field (`proxyTLS` for `proxyTls`, `imagee`) would otherwise answer 200 having changed
 * nothing, and the caller would believe it applied. Top-level fields of object bodies. The OpenAPI document keeps
 * the route's own schema (a strict copy would lose its component id).
 */
export function refuseUnknownBodyFields(api: Api): void {
  const register = api.openapi as (...a: unknown[]) => Api;
  api.openapi = ((route: RouteConfig, ...rest: unknown[]) => {
    const strict = withStrictBody(route);
    if (strict === route) return register(route, ...rest);
    const { middleware: _middleware, hide, ...documented } = route;
    if (!hide) api.openAPIRegistry.registerPath(documented);
    return register({ ...strict, hide: true }, ...rest);
  }) as Api['openapi'];
}

function withStrictBody(route: RouteConfig): RouteConfig {
  const body = route.request?.body;
  const media = body?.content?.['application/json'];
  if (!body || !media || !('schema' in media) || !(media.schema instanceof z.ZodObject)) return route;
  const schema = media.schema.strict();
  return {
    ...route,
    request: {
      ...route.request,
      body: { ...body, content: { ...body.content, 'application/json': { ...media, schema } } },
    },
  };
}

/** The fields a body named that its route does not know, from zod's issue (path: the object they were in). */
export function unknownFieldIssues(issue: z.core.$ZodIssue): { field: string; message: string }[] | null {
  if (issue.code !== 'unrecognized_keys') return null;
  const at = issue.path.map(String);
  return issue.keys.map((k) => ({ field: [...at, k].join('.'), message: 'unknown field' }));
}
