import type { Plan } from '../../core/inventory/change.js';
import { diffInventory } from '../../core/inventory/diff.js';
import type { LoadedInventory } from '../../core/inventory/load.js';
import type { LiveServer } from '../../core/inventory/model.js';
import { allSecretValues, listSecrets } from '../secrets/secrets.js';
import type { Ctx } from '../shared/context.js';
import { localState, observeServer, type StateRows } from './actual.js';
import { buildDesired, type DesiredInventory, readInventoryFile } from './desired.js';
import { checkEdgeServers } from './edge-check.js';
import { hostChecksFor } from './host-checks.js';

export interface InventoryPlan {
  readonly file: string;
  readonly plan: Plan;
  readonly desired: DesiredInventory;
  readonly rows: StateRows;
  /** Servers whose live state was compared. */
  readonly checked: readonly string[];
}

export interface PlanOptions {
  /** Compare with the live servers too (default true): running releases, image digests, Caddy, databases. */
  readonly live?: boolean;
  /** Extra catalog folders (`--catalog-dir`) for the file's catalog installs. */
  readonly catalogDirs?: readonly string[];
}

/** `infrakt plan`: the file against the local state and the live servers. Changes nothing anywhere. */
export async function planInventory(ctx: Ctx, file: string, opts: PlanOptions = {}): Promise<InventoryPlan> {
  return planLoaded(ctx, readInventoryFile(file), opts);
}

export async function planLoaded(ctx: Ctx, loaded: LoadedInventory, opts: PlanOptions = {}): Promise<InventoryPlan> {
  const secrets = new Set((await listSecrets(ctx)).map((s) => s.name));
  // Catalog inputs given as secret:NAME are compared by the hash of the secret's value (held only here).
  const refsSecrets = Object.values(loaded.inventory.catalog ?? {}).some((c) =>
    Object.values(c.inputs ?? {}).some((v) => v.startsWith('secret:')),
  );
  const secretValues = refsSecrets
    ? new Map([...(await allSecretValues(ctx))].map(([k, v]) => [k, v.reveal()]))
    : new Map<string, string>();
  const catalogDirs = opts.catalogDirs ?? [];
  const desired = buildDesired(loaded, secrets, { catalogDirs, secretValues });
  const { state, rows } = await localState(ctx, { catalogDirs });
  checkEdgeServers(loaded, desired.state.servers, state.servers);
  const live = new Map<string, LiveServer>();
  const declared = new Set(desired.state.servers.map((s) => s.name));
  const toCheck = opts.live === false ? [] : rows.servers.filter((s) => declared.has(s.name));
  // One connection per server, all servers at once: a plan of a fleet costs one round trip, not one per server.
  const observed = await Promise.all(
    toCheck.map(async (s) =>
      observeServer(
        ctx,
        s,
        rows.apps.filter((a) => a.server_id === s.id),
        await hostChecksFor(ctx, s, desired.state.hosts, desired.extras.catalogInputs, secretValues, catalogDirs),
      ),
    ),
  );
  for (const [i, s] of toCheck.entries()) live.set(s.name, observed[i]!);
  return {
    file: loaded.file,
    plan: diffInventory(desired.state, { ...state, live }),
    desired,
    rows,
    checked: toCheck.map((s) => s.name),
  };
}
