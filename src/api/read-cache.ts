import type { Context } from 'hono';
import type { Store } from '../adapters/store/open.js';
import { isUnlimited } from '../core/access.js';
import type { ApiEnv } from './route-kit.js';

/**
 * Serialised bodies of hot read-only lists (`GET /api/apps`, `GET /api/servers`), reused until the
 * database changes. The version is `PRAGMA data_version` (commits by other processes: the CLI) plus
 * `total_changes()` (writes by this process: requests and jobs), so a hit can never be stale.
 * Dashboards poll these lists; with 1,000 apps a miss costs a query and a 250 KiB JSON encode.
 * On Postgres (other processes write without telling us) every request computes the list.
 */
export class ReadCache {
  private readonly entries = new Map<string, { version: string; body: Uint8Array<ArrayBuffer> }>();
  private readonly version: () => string | null;

  constructor(store: Store) {
    const raw = store.raw;
    if (raw) {
      const stmt = raw.prepare('SELECT total_changes()').pluck();
      this.version = () => `${raw.pragma('data_version', { simple: true })}.${stmt.get()}`;
    } else {
      this.version = () => null;
    }
  }

  /** `key` must hold everything the body depends on besides the database (route, query, the caller's scope). */
  async json(c: Context, route: string, compute: () => Promise<unknown>): Promise<Response> {
    // A scoped caller sees a filtered list: its own entry.
    const p = (c as Context<ApiEnv>).var.principal;
    const key = p && !isUnlimited(p) ? `${route}|${p.id}` : route;
    const version = this.version();
    if (version === null) return c.json(await compute(), 200);
    let hit = this.entries.get(key);
    if (hit?.version !== version) {
      // Kept encoded: a hit then costs no JSON encoding and no UTF-8 conversion of ~250 KiB.
      hit = { version, body: new TextEncoder().encode(JSON.stringify(await compute())) };
      // Keys are route + validated query: few. Bound it anyway.
      if (this.entries.size > 256) this.entries.clear();
      this.entries.set(key, hit);
    }
    return c.body(hit.body, 200, { 'Content-Type': 'application/json' });
  }
}
