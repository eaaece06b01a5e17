import type { Context } from 'hono';
import type { Store } from '../adapters/store/open.js';

/**
 * Serialised bodies of hot read-only lists (`GET /api/apps`, `GET /api/servers`), reused until the
 * database changes. The version is `PRAGMA data_version` (commits by other processes: the CLI) plus
 * `total_changes()` (writes by this process: requests and jobs), so a hit can never be stale.
 * Dashboards poll these lists; with 1,000 apps a miss costs a query and a 250 KiB JSON encode.
 */
export class ReadCache {
  private readonly entries = new Map<string, { version: string; body: Uint8Array<ArrayBuffer> }>();
  private readonly changes: () => unknown;

  constructor(private readonly store: Store) {
    const stmt = store.raw.prepare('SELECT total_changes()').pluck();
    this.changes = () => stmt.get();
  }

  version(): string {
    return `${this.store.raw.pragma('data_version', { simple: true })}.${this.changes()}`;
  }

  async json(c: Context, key: string, compute: () => Promise<unknown>): Promise<Response> {
    const version = this.version();
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
