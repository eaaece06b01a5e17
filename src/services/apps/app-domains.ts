// The domains of an app: `apps.domain` is the primary one, `app_domains` the others in order. Every domain
// is routed (one proxy route each, all to the current release's port); with `wwwRedirect`, `www.<domain>`
// answers with a permanent redirect. One domain routes to one app (or manual route) per server.
import type { Kysely, Transaction } from 'kysely';
import type { AppRow, Database, ProxyRouteRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import { wwwOf } from '../../core/schemas/app-settings.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Extra domains of several apps at once (for lists). */
export async function extraDomains(db: Db, appIds: readonly number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (appIds.length === 0) return out;
  const rows = await db
    .selectFrom('app_domains')
    .select(['app_id', 'domain'])
    .where('app_id', 'in', [...appIds])
    .orderBy('app_id')
    .orderBy('position')
    .execute();
  for (const r of rows) out.set(r.app_id, [...(out.get(r.app_id) ?? []), r.domain]);
  return out;
}

/** Every domain of an app, the primary first. */
export async function appDomains(db: Db, app: Pick<AppRow, 'id' | 'domain'>): Promise<string[]> {
  if (!app.domain) return [];
  return [app.domain, ...((await extraDomains(db, [app.id])).get(app.id) ?? [])];
}

/**
 * Refuses domains (and, with the redirect, their www names) that another app or a manual route of the server
 * uses: a CONFLICT naming who has it. Run inside the transaction that writes them.
 */
export async function assertDomainsFree(
  db: Db,
  app: Pick<AppRow, 'id' | 'server_id'>,
  domains: readonly string[],
  wwwRedirect: boolean,
): Promise<void> {
  const names = [...domains, ...(wwwRedirect ? domains.flatMap((d) => wwwOf(d) ?? []) : [])];
  if (names.length === 0) return;
  const [primary, extra, manual] = await Promise.all([
    db
      .selectFrom('apps')
      .select(['name', 'domain'])
      .where('server_id', '=', app.server_id)
      .where('id', '!=', app.id)
      .where('domain', 'in', names)
      .execute(),
    db
      .selectFrom('app_domains')
      .innerJoin('apps', 'apps.id', 'app_domains.app_id')
      .select(['apps.name as name', 'app_domains.domain as domain'])
      .where('app_domains.server_id', '=', app.server_id)
      .where('app_domains.app_id', '!=', app.id)
      .where('app_domains.domain', 'in', names)
      .execute(),
    db
      .selectFrom('proxy_routes')
      .select('domain')
      .where('server_id', '=', app.server_id)
      .where('app_id', 'is', null)
      .where('domain', 'in', names)
      .execute(),
  ]);
  const taken = [...primary, ...extra][0];
  if (taken) {
    throw new InfraktError('CONFLICT', `${taken.domain} is already used by app '${taken.name}'`, {
      hint: 'one domain routes to one app per server: choose another domain',
    });
  }
  if (manual[0]) {
    throw new InfraktError('CONFLICT', `${manual[0].domain} is a manual proxy route on this server`, {
      hint: 'remove it first with: infrakt proxy remove <domain> --server <server>',
    });
  }
}

/** Writes an app's domains (primary into `apps.domain`, the rest into `app_domains`). */
export async function writeDomains(ctx: Ctx, db: Db, app: Pick<AppRow, 'id' | 'server_id'>, domains: string[]) {
  const now = nowIso(ctx);
  await db.deleteFrom('app_domains').where('app_id', '=', app.id).execute();
  await db
    .updateTable('apps')
    .set({ domain: domains[0] ?? null, updated_at: now })
    .where('id', '=', app.id)
    .execute();
  for (const [i, domain] of domains.slice(1).entries()) {
    await db
      .insertInto('app_domains')
      .values({ app_id: app.id, server_id: app.server_id, domain, position: i + 1, created_at: now })
      .execute();
  }
}

/**
 * Points every domain of the app at `port` (one route each) and removes the app's routes for domains it no
 * longer has. Returns the routes as they were, for `restoreRoutes`.
 */
/** The ports an app's domains go to now (one, unless a switch was interrupted). */
export async function routedPorts(db: Db, appId: number): Promise<number[]> {
  const rows = await db.selectFrom('proxy_routes').select('upstream_port').where('app_id', '=', appId).execute();
  return [...new Set(rows.map((r) => r.upstream_port))];
}

export async function syncRoutes(
  ctx: Ctx,
  db: Db,
  app: Pick<AppRow, 'id' | 'server_id'>,
  domains: readonly string[],
  port: number,
): Promise<ProxyRouteRow[]> {
  const before = await db.selectFrom('proxy_routes').selectAll().where('app_id', '=', app.id).execute();
  const foreign = domains.length
    ? await db
        .selectFrom('proxy_routes')
        .select(['domain', 'app_id'])
        .where('server_id', '=', app.server_id)
        .where('domain', 'in', [...domains])
        .where((eb) => eb.or([eb('app_id', '!=', app.id), eb('app_id', 'is', null)]))
        .executeTakeFirst()
    : undefined;
  if (foreign) {
    throw new InfraktError('CONFLICT', `${foreign.domain} is routed to another app or a manual route`, {
      hint: 'give this app another domain, or remove the route that has it',
    });
  }
  await db.deleteFrom('proxy_routes').where('app_id', '=', app.id).execute();
  for (const domain of domains) {
    await db
      .insertInto('proxy_routes')
      .values({ server_id: app.server_id, domain, upstream_port: port, app_id: app.id, created_at: nowIso(ctx) })
      .execute();
  }
  return before;
}

/** Puts an app's routes back exactly as `syncRoutes` found them. */
export async function restoreRoutes(db: Db, appId: number, before: readonly ProxyRouteRow[]): Promise<void> {
  await db.deleteFrom('proxy_routes').where('app_id', '=', appId).execute();
  for (const { id: _id, ...row } of before) await db.insertInto('proxy_routes').values(row).execute();
}
