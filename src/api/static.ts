import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Context } from 'hono';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

// Vite names build outputs `name-<hash>.ext` (8+ base64url chars): safe to cache forever.
const HASHED = /[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/**
 * Serves the built dashboard (dist/web): files by path, anything else that looks like a page
 * falls back to index.html (client-side routes). `/api/*` never reaches here.
 * Files are read from disk on each request (the OS keeps them in its page cache), never held by the process:
 * `infrakt serve` runs for months, and browsers keep the hashed assets forever anyway.
 */
export function dashboardHandler(root: string) {
  const base = resolve(root);

  async function load(file: string): Promise<Buffer | null> {
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) return null;
    return readFile(file).catch(() => null);
  }

  /** The file's response, or null (→ the caller's 404). */
  return async (c: Context): Promise<Response | null> => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return null;
    let path: string;
    try {
      path = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return null;
    }
    const file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) return null;
    const ext = extname(file);
    let body = path.endsWith('/') ? null : await load(file);
    let served = file;
    if (!body) {
      // A missing asset is a 404; a missing page is the SPA's job (index.html).
      if (ext && ext !== '.html') return null;
      served = join(base, 'index.html');
      body = await load(served);
      if (!body) return null;
    }
    const type = TYPES[extname(served)] ?? 'application/octet-stream';
    const immutable = served.includes(`${sep}assets${sep}`) && HASHED.test(served);
    const headers: Record<string, string> = {
      'Content-Type': type,
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    };
    if (type.startsWith('text/html')) {
      headers['Content-Security-Policy'] = DASHBOARD_CSP;
      headers['X-Frame-Options'] = 'DENY';
      headers['Referrer-Policy'] = 'no-referrer';
    }
    // Hono answers HEAD without the body on its own.
    return c.body(new Uint8Array(body), 200, headers);
  };
}
