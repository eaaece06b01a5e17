import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePaths } from '../../src/adapters/local/home.js';
import { ensureApiKey } from '../../src/adapters/secrets/api-key.js';
import { type ApiOptions, createApiApp } from '../../src/api/app.js';
import { type ApiCtx, openApiContext } from '../../src/api/context.js';
import type { Api } from '../../src/api/route-kit.js';
import { InfraktError } from '../../src/core/errors.js';
import type { Connect } from '../../src/services/shared/context.js';

export interface ApiFixture {
  home: string;
  key: string;
  ctx: ApiCtx;
  app: Api;
  /** An in-process request with the API key (unless headers override it). */
  req(path: string, init?: RequestInit & { json?: unknown; addr?: string }): Promise<Response>;
  cleanup(): Promise<void>;
}

/** No SSH in unit tests: any remote operation fails like an unreachable host. */
export const unreachable: Connect = async (server) => {
  throw new InfraktError('SSH_UNREACHABLE', `cannot reach ${server.host}:${server.port} (unit test)`);
};

export function apiFixture(opts: Partial<ApiOptions> & { connect?: Connect } = {}): ApiFixture {
  const home = mkdtempSync(join(tmpdir(), 'ikt-test-api-'));
  const paths = resolvePaths({ INFRAKT_HOME: home });
  const ctx = openApiContext(paths, { connect: opts.connect ?? unreachable });
  const { key } = ensureApiKey(paths.apiKey);
  const app = createApiApp(ctx, {
    apiKey: () => key,
    log: () => {},
    resolve: async () => ['140.82.112.3'],
    ssePingMs: 0,
    ...opts,
  });
  return {
    home,
    key,
    ctx,
    app,
    req(path, init = {}) {
      const { json, addr, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (!headers.has('X-API-Key')) headers.set('X-API-Key', key);
      if (json !== undefined) headers.set('Content-Type', 'application/json');
      return Promise.resolve(
        app.request(
          path,
          { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) },
          { incoming: { socket: { remoteAddress: addr ?? '192.0.2.10' } } },
        ),
      );
    },
    async cleanup() {
      await ctx.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Every method+path registered on the app (validators add duplicate entries: dedupe). */
export function registeredApiRoutes(app: Api): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const r of app.routes) {
    if (r.method === 'ALL' || !r.path.startsWith('/api/')) continue;
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}

/** The parsed JSON body, loosely typed: tests assert its shape. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by assertions, not types
export const body = async (res: Response): Promise<any> => res.json();
