// A small browser for tests that drive redirect flows over plain HTTP: a cookie jar per origin (name → value, the
// path ignored), redirects followed by hand so a test can stop at, inspect or tamper with any hop, and HTML forms
// (the identity provider's login and consent pages) submitted with their hidden fields. Each browser connects from
// its own loopback address (127.0.0.0/8 is all loopback), so the API's per-address limits see distinct clients.
import { request as httpRequest } from 'node:http';

let nextHost = Math.floor(Math.random() * 200);

export class HttpBrowser {
  private readonly jar = new Map<string, Map<string, string>>();
  readonly address = `127.0.${10 + (nextHost++ % 200)}.${2 + Math.floor(Math.random() * 250)}`;

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(new URL(origin).origin)?.get(name);
  }

  /** One request, no redirect followed; Set-Cookie lands in the jar. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const cookies = [...(this.jar.get(origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers = new Headers(init.headers);
    if (cookies) headers.set('Cookie', cookies);
    const res = await this.send(url, init.method ?? 'GET', headers, init.body ? String(init.body) : undefined);
    for (const line of res.headers.getSetCookie()) this.store(origin, line);
    return res;
  }

  private send(url: string, method: string, headers: Headers, body: string | undefined): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        url,
        { method, headers: Object.fromEntries(headers), localAddress: this.address, timeout: 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, one);
            }
            const status = res.statusCode ?? 0;
            const payload = status === 204 || status === 304 ? null : Buffer.concat(chunks);
            resolve(new Response(payload, { status, headers: h }));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 30 s`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  private store(origin: string, line: string): void {
    const [pair = '', ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attrs.some((a) => {
      const [k = '', v = ''] = a.split('=').map((s) => s.trim());
      return (
        (k.toLowerCase() === 'max-age' && Number(v) <= 0) ||
        (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now())
      );
    });
    const jar = this.jar.get(origin) ?? new Map<string, string>();
    this.jar.set(origin, jar);
    if (expired || value === '') jar.delete(name);
    else jar.set(name, value);
  }

  /**
   * Follows redirects and submits HTML forms (with `fields` added) until `stop(url)` says a URL is where the test
   * takes over; returns that URL without requesting it.
   */
  async travel(start: string, stop: (url: URL) => boolean, fields: Record<string, string>): Promise<URL> {
    let url = new URL(start);
    let init: RequestInit = {};
    for (let hop = 0; hop < 30; hop++) {
      if (stop(url)) return url;
      const res = await this.request(url.toString(), init);
      init = {};
      const location = res.headers.get('Location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url);
        continue;
      }
      const html = await res.text();
      const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
      if (res.status !== 200 || !form)
        throw new Error(`unexpected page at ${url} (HTTP ${res.status}): ${html.slice(0, 300)}`);
      const body = new URLSearchParams();
      for (const [tag] of (form[2] ?? '').matchAll(/<input[^>]*>/gi)) {
        const name = /\sname="([^"]+)"/.exec(tag)?.[1];
        if (name) body.set(name, /\svalue="([^"]*)"/.exec(tag)?.[1] ?? '');
      }
      for (const [k, v] of Object.entries(fields)) if (body.has(k)) body.set(k, v);
      url = new URL((form[1] ?? '').replace(/&amp;/g, '&'), url);
      init = { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } };
    }
    throw new Error(`no end after 30 hops from ${start}`);
  }
}
