import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_PERMISSIONS } from '../../src/api/auth/route-permissions.js';
import { type ApiFixture, apiFixture, body, registeredApiRoutes } from './api-fixture.js';

let f: ApiFixture;
interface Op {
  summary?: string;
  operationId?: string;
  security?: unknown;
  parameters?: { name: string; in: string; required?: boolean }[];
  responses?: Record<string, { description?: unknown; content?: Record<string, unknown> }>;
}
interface Doc {
  openapi: string;
  info: { title: string; version: string };
  security: unknown;
  paths: Record<string, Record<string, Op>>;
  components: {
    schemas: Record<string, { properties: Record<string, Record<string, unknown>>; required?: string[] }>;
    securitySchemes: Record<string, unknown>;
  };
}
let doc: Doc;
/** The owner key, a scoped token, or the dashboard session. */
const ANY_CREDENTIAL = [{ ApiKey: [] }, { BearerToken: [] }, { SessionCookie: [] }];
const PUBLIC = new Set(
  Object.entries(ROUTE_PERMISSIONS)
    .filter(([, p]) => p === 'public')
    .map(([k]) => k.replace(/:(\w+)/g, '{$1}')),
);
beforeAll(async () => {
  f = apiFixture();
  const res = await f.req('/api/openapi.json');
  expect(res.status).toBe(200);
  doc = await body(res);
});
afterAll(async () => {
  await f.cleanup();
});

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Collects every `$ref` in the document. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refs(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with info, an X-API-Key security scheme and global security', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('infrakt API');
    expect(typeof doc.info.version).toBe('string');
    expect(doc.components.securitySchemes.ApiKey).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    );
    expect(doc.security).toEqual(ANY_CREDENTIAL);
  });

  it('lists every registered /api route, and nothing else', () => {
    const registered = registeredApiRoutes(f.app)
      .map((r) => `${r.method.toLowerCase()} ${toOpenApiPath(r.path)}`)
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) =>
        Object.keys(ops)
          .filter((m) => METHODS.includes(m))
          .map((m) => `${m} ${p}`),
      )
      .sort();
    expect(documented).toEqual(registered);
  });

  it('is structurally valid: operations have responses, path params are declared and required, refs resolve', () => {
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(ops)) {
        expect(METHODS).toContain(method);
        expect(Object.keys(op.responses ?? {}).length).toBeGreaterThan(0);
        for (const [status, r] of Object.entries(op.responses ?? {})) {
          expect(status).toMatch(/^([1-5]\d\d|default)$/);
          expect(typeof r.description).toBe('string');
        }
        const params = op.parameters ?? [];
        for (const p of params) expect(['path', 'query', 'header', 'cookie']).toContain(p.in);
        const pathParams = params.filter((p) => p.in === 'path');
        expect(pathParams.map((p) => p.name).sort()).toEqual([...templated].sort());
        for (const p of pathParams) expect(p.required).toBe(true);
        expect(typeof op.summary).toBe('string');
        if (op.operationId) {
          expect(ids.has(op.operationId)).toBe(false);
          ids.add(op.operationId);
        }
        // Health is public; everything else declares the key (globally or per operation).
        expect(op.security ?? doc.security).toEqual(
          PUBLIC.has(`${method.toUpperCase()} ${path}`) ? [] : ANY_CREDENTIAL,
        );
      }
    }
    for (const ref of refs(doc)) {
      const m = ref.match(/^#\/components\/schemas\/(.+)$/);
      expect(m, ref).not.toBeNull();
      expect(doc.components.schemas[m![1]!], ref).toBeDefined();
    }
  });

  it('request bodies come from the shared zod schemas (names, ports, images)', () => {
    const s = doc.components.schemas;
    expect(s.ServerAdd?.properties.name?.pattern).toBe('^[a-z0-9][a-z0-9-]{0,62}$');
    expect(s.AppCreate?.properties.image?.pattern).toBeTypeOf('string');
    // `server` or `cluster` (a cluster app is recorded on the cluster's manager): only `name` is always required.
    expect(s.AppCreate?.required).toEqual(expect.arrayContaining(['name']));
    expect(Object.keys(s.AppCreate?.properties ?? {})).toEqual(expect.arrayContaining(['server', 'cluster']));
    expect(s.Error?.properties.error?.required).toEqual(expect.arrayContaining(['code', 'message']));
  });

  it('the event streams are documented as text/event-stream', () => {
    expect(Object.keys(doc.paths['/api/jobs/{id}/events']?.get?.responses?.['200']?.content ?? {})).toEqual([
      'text/event-stream',
    ]);
  });
});
