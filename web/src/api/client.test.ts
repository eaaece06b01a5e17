import { describe, expect, it } from 'vitest';
import { ApiError, createClient, errorFromResponse } from './client.js';

type Call = { url: string; init: RequestInit };

function fakeFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const call = { url: String(input), init: init ?? {} };
    calls.push(call);
    return respond(call);
  };
  return { fn: fn as typeof fetch, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('errorFromResponse', () => {
  it('reads the API error shape with code, message, hint and validation issues', () => {
    const e = errorFromResponse(
      400,
      'Bad Request',
      JSON.stringify({
        error: {
          code: 'VALIDATION',
          message: 'invalid name: must be …',
          hint: 'fix it',
          details: {
            issues: [
              { field: 'name', message: 'must be …' },
              { field: 'name', message: 'second' },
            ],
          },
        },
      }),
    );
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 400, code: 'VALIDATION', message: 'invalid name: must be …', hint: 'fix it' });
    expect(e.fieldErrors()).toEqual({ name: 'must be …' });
  });

  it('falls back to a status-based code for bodies that are not the API shape', () => {
    expect(errorFromResponse(502, 'Bad Gateway', '<html>nginx</html>')).toMatchObject({
      code: 'INTERNAL',
      message: '502 Bad Gateway',
    });
    expect(errorFromResponse(404, 'Not Found', 'no such route')).toMatchObject({
      code: 'NOT_FOUND',
      message: '404 Not Found: no such route',
    });
    expect(errorFromResponse(418, '', '{"error":"teapot"}').code).toBe('HTTP_ERROR');
    expect(errorFromResponse(429, 'Too Many Requests', '').code).toBe('RATE_LIMITED');
  });

  it('has no field errors when details carry none', () => {
    expect(errorFromResponse(409, 'Conflict', '{"error":{"code":"CONFLICT","message":"x"}}').fieldErrors()).toEqual({});
  });
});

describe('createClient', () => {
  it('sends the key as X-API-Key and JSON bodies, never in the URL', async () => {
    const f = fakeFetch(() => json(201, { ok: true }));
    const c = createClient({ getKey: () => 'k-123', fetch: f.fn });
    await c.post('/api/apps', { name: 'web' });
    const call = f.calls[0]!;
    expect(call.url).toBe('/api/apps');
    expect(call.url).not.toContain('k-123');
    expect(call.init.method).toBe('POST');
    expect((call.init.headers as Record<string, string>)['X-API-Key']).toBe('k-123');
    expect((call.init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(call.init.body).toBe('{"name":"web"}');
  });

  it('sends no key header when there is no key', async () => {
    const f = fakeFetch(() => json(200, []));
    const c = createClient({ getKey: () => null, fetch: f.fn });
    await c.get('/api/servers');
    expect(Object.keys(f.calls[0]!.init.headers as object)).not.toContain('X-API-Key');
  });

  it('throws a typed ApiError and calls onUnauthorized on 401 and 403', async () => {
    for (const status of [401, 403]) {
      const seen: ApiError[] = [];
      const f = fakeFetch(() =>
        json(status, { error: { code: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', message: 'no' } }),
      );
      const c = createClient({ getKey: () => 'bad', fetch: f.fn, onUnauthorized: (e) => seen.push(e) });
      const err = await c.get('/api/dashboard').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(status);
      expect(seen).toHaveLength(1);
    }
  });

  it('does not log out when a candidate key (the login form) is refused', async () => {
    const seen: unknown[] = [];
    const f = fakeFetch(() => json(403, { error: { code: 'FORBIDDEN', message: 'wrong key' } }));
    const c = createClient({ getKey: () => 'stored', fetch: f.fn, onUnauthorized: (e) => seen.push(e) });
    await expect(c.get('/api/dashboard', { key: 'candidate' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((f.calls[0]!.init.headers as Record<string, string>)['X-API-Key']).toBe('candidate');
    expect(seen).toHaveLength(0);
  });

  it('does not call onUnauthorized for other errors', async () => {
    const seen: unknown[] = [];
    const f = fakeFetch(() => json(409, { error: { code: 'CONFLICT', message: 'exists', hint: 'rename' } }));
    const c = createClient({ getKey: () => 'k', fetch: f.fn, onUnauthorized: (e) => seen.push(e) });
    await expect(c.post('/api/servers', {})).rejects.toMatchObject({ code: 'CONFLICT', hint: 'rename', status: 409 });
    expect(seen).toHaveLength(0);
  });

  it('turns a network failure into a NETWORK ApiError with a hint', async () => {
    const c = createClient({
      getKey: () => 'k',
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    await expect(c.get('/api/apps')).rejects.toMatchObject({ status: 0, code: 'NETWORK' });
  });

  it('rethrows an abort as is (not as an API error)', async () => {
    const ac = new AbortController();
    ac.abort();
    const c = createClient({
      getKey: () => 'k',
      fetch: (async () => {
        throw new DOMException('aborted', 'AbortError');
      }) as typeof fetch,
    });
    const err = await c.get('/api/apps', { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ApiError);
  });

  it('reports a 2xx body that is not JSON', async () => {
    const f = fakeFetch(() => new Response('<html>', { status: 200 }));
    const c = createClient({ getKey: () => 'k', fetch: f.fn });
    await expect(c.get('/api/apps')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('returns undefined for empty bodies', async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    const c = createClient({ getKey: () => 'k', fetch: f.fn });
    await expect(c.del('/api/apps/x')).resolves.toBeUndefined();
  });

  it('reads an SSE stream split at awkward places and sends Last-Event-ID', async () => {
    const chunks = [': connected\n\nevent: log\nid: 7\nda', 'ta: {"line":"a"}\r', '\n\r\nevent: end\ndata: {}\n\n'];
    const f = fakeFetch(
      () =>
        new Response(
          new ReadableStream({
            start(c) {
              for (const ch of chunks) c.enqueue(new TextEncoder().encode(ch));
              c.close();
            },
          }),
          { status: 200, headers: { 'Content-Type': 'text/event-stream' } },
        ),
    );
    const c = createClient({ getKey: () => 'k', fetch: f.fn });
    const events: unknown[] = [];
    await c.sse('/api/jobs/j1/events', {
      signal: new AbortController().signal,
      lastEventId: '3',
      onEvent: (e) => events.push(e),
    });
    expect(events).toEqual([
      { event: 'log', data: '{"line":"a"}', id: '7' },
      { event: 'end', data: '{}', id: '7' },
    ]);
    const h = f.calls[0]!.init.headers as Record<string, string>;
    expect(h['Last-Event-ID']).toBe('3');
    expect(h.Accept).toBe('text/event-stream');
    expect(h['X-API-Key']).toBe('k');
  });

  it('fails an SSE request with the API error before any event', async () => {
    const f = fakeFetch(() => json(404, { error: { code: 'NOT_FOUND', message: "job 'x' not found" } }));
    const c = createClient({ getKey: () => 'k', fetch: f.fn });
    await expect(
      c.sse('/api/jobs/x/events', { signal: new AbortController().signal, onEvent: () => {} }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });
});
