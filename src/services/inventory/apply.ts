import { InfraktError, toInfraktError } from '../../core/errors.js';
import type { Change } from '../../core/inventory/change.js';
import { chains } from '../../core/inventory/diff.js';
import type {
  AppSpec,
  CatalogSpec,
  DatabaseSpec,
  HostInstallSpec,
  RouteSpec,
  ServerSpec,
} from '../../core/inventory/model.js';
import { prepareProxyReload } from '../proxy/proxy.js';
import { prepareProvision } from '../servers/provision.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { applyCatalog } from './apply-catalog.js';
import { applyHost } from './apply-host.js';
import { applyApp, applyDatabase, applyRoute, applyServer } from './apply-resources.js';
import { appKey } from './desired.js';
import type { InventoryPlan } from './plan.js';

export type ChangeStatus = 'done' | 'failed' | 'skipped';

export interface ChangeResult {
  readonly change: Change;
  readonly status: ChangeStatus;
  readonly jobIds: readonly string[];
  readonly message?: string;
  readonly error?: { code: string; message: string; hint?: string };
  readonly durationMs: number;
}

export type ApplyEvent =
  | { type: 'start'; change: Change }
  | { type: 'job'; change: Change; jobId: string; kind: string }
  | { type: 'end'; result: ChangeResult };

export interface ApplyOptions {
  /** Apply deletes (and replacements, and env keys the file dropped). */
  readonly prune?: boolean;
  readonly onEvent?: (e: ApplyEvent) => void;
}

export interface ApplyReport {
  readonly results: readonly ChangeResult[];
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  readonly durationMs: number;
}

interface Step {
  change: Change;
  run: (job: <T>(plan: JobPlan<T>) => Promise<T>) => Promise<string | undefined>;
}

/**
 * `infrakt apply`: runs a plan's changes, one chain per server in dependency order (server → provision →
 * host entries → databases → apps → catalog → routes → proxy; deletes last), all chains at once. A chain stops at its first failure and
 * reports the rest as skipped; other servers go on. Destructive changes need `prune`. Every remote change is a
 * recorded job.
 */
export async function applyInventory(ctx: Ctx, p: InventoryPlan, opts: ApplyOptions = {}): Promise<ApplyReport> {
  const t0 = Date.now();
  const d = p.desired;
  const want = {
    servers: new Map(d.state.servers.map((s) => [s.name, s])),
    apps: new Map(d.state.apps.map((a) => [appKey(a.server, a.name), a])),
    dbs: new Map(d.state.databases.map((x) => [appKey(x.server, x.name), x])),
    routes: new Map(d.state.routes.map((r) => [`${r.server}\0${r.domain}`, r])),
    catalog: new Map(d.state.catalog.map((c) => [appKey(c.server, c.name), c])),
    hosts: new Map(d.state.hosts.map((h) => [appKey(h.server, h.name), h])),
  };
  // A secret a database in this file creates: apps referring to it wait for that database (any server).
  const secretReady = new Map<string, { promise: Promise<boolean>; resolve: (ok: boolean) => void }>();
  for (const db of d.state.databases) {
    if (!db.secret) continue;
    let resolve!: (ok: boolean) => void;
    const promise = new Promise<boolean>((r) => {
      resolve = r;
    });
    secretReady.set(db.secret, { promise, resolve });
  }
  const results: ChangeResult[] = [];
  const emit = opts.onEvent ?? (() => {});

  const runChain = async (list: Change[]) => {
    let failed: string | null = null;
    for (const change of list) {
      const started = Date.now();
      const end = (r: Omit<ChangeResult, 'change' | 'durationMs'>) => {
        const result = { change, durationMs: Date.now() - started, ...r };
        results.push(result);
        emit({ type: 'end', result });
        if (change.kind === 'database' && change.action !== 'delete') {
          const spec = want.dbs.get(appKey(change.server, change.name));
          if (spec?.secret) secretReady.get(spec.secret)?.resolve(r.status === 'done');
        }
      };
      if (failed) {
        end({ status: 'skipped', jobIds: [], message: `an earlier change on ${change.server} failed (${failed})` });
        continue;
      }
      if (change.destructive && !opts.prune && change.action !== 'update') {
        end({ status: 'skipped', jobIds: [], message: 'destructive: run apply with --prune to apply it' });
        continue;
      }
      emit({ type: 'start', change });
      const jobIds: string[] = [];
      const job = async <T>(plan: JobPlan<T>): Promise<T> => {
        const handle = await ctx.jobs.start(plan.spec, plan.body);
        jobIds.push(handle.id);
        emit({ type: 'job', change, jobId: handle.id, kind: plan.spec.kind });
        return handle.done;
      };
      try {
        const step = stepFor(ctx, change, want, d.extras, secretReady, Boolean(opts.prune));
        const message = await step.run(job);
        end({ status: 'done', jobIds, ...(message ? { message } : {}) });
      } catch (e) {
        const err = toInfraktError(e);
        failed = `${change.kind} ${change.name}`;
        end({
          status: 'failed',
          jobIds,
          error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) },
        });
      }
    }
  };
  await Promise.all([...chains(p.plan.changes).values()].map(runChain));
  // Anything still waiting on a secret whose database was never reached fails rather than hangs.
  for (const s of secretReady.values()) s.resolve(false);
  const count = (s: ChangeStatus) => results.filter((r) => r.status === s).length;
  return {
    results,
    done: count('done'),
    failed: count('failed'),
    skipped: count('skipped'),
    durationMs: Date.now() - t0,
  };
}

type Wanted = {
  servers: Map<string, ServerSpec>;
  apps: Map<string, AppSpec>;
  dbs: Map<string, DatabaseSpec>;
  routes: Map<string, RouteSpec>;
  catalog: Map<string, CatalogSpec>;
  hosts: Map<string, HostInstallSpec>;
};

function stepFor(
  ctx: Ctx,
  c: Change,
  want: Wanted,
  extras: InventoryPlan['desired']['extras'],
  secretReady: Map<string, { promise: Promise<boolean> }>,
  prune: boolean,
): Step {
  const key = appKey(c.server, c.name);
  switch (c.kind) {
    case 'server': {
      const spec = want.servers.get(c.name);
      return { change: c, run: (job) => applyServer(ctx, c, spec, job) };
    }
    case 'provision':
      return {
        change: c,
        run: async (job) => {
          const r = await job(await prepareProvision(ctx, c.name));
          return `${r.changed} step(s) changed on ${r.os}`;
        },
      };
    case 'database':
      return { change: c, run: (job) => applyDatabase(ctx, c, want.dbs.get(key), job) };
    case 'app':
      return {
        change: c,
        run: async (job) => {
          const spec = want.apps.get(key);
          if (spec) await waitForSecrets([...(extras.env.get(key)?.values() ?? [])], secretReady);
          return applyApp(ctx, c, spec, extras, prune, job);
        },
      };
    case 'catalog':
      return {
        change: c,
        run: async (job) => {
          const spec = want.catalog.get(key);
          if (spec) await waitForSecrets(Object.values(extras.catalogInputs.get(key) ?? {}), secretReady);
          return applyCatalog(ctx, c, spec, extras, job);
        },
      };
    case 'host-entry':
      return {
        change: c,
        run: async (job) => {
          const spec = want.hosts.get(key);
          if (spec) await waitForSecrets(Object.values(extras.catalogInputs.get(key) ?? {}), secretReady);
          return applyHost(ctx, c, spec, extras, job);
        },
      };
    case 'route':
      return { change: c, run: (job) => applyRoute(ctx, c, want.routes.get(`${c.server}\0${c.name}`), job) };
    case 'proxy':
      return {
        change: c,
        run: async (job) => {
          const r = await job(await prepareProxyReload(ctx, c.name));
          return r.changed ? `caddy ${r.mode}` : 'already live';
        },
      };
  }
}

/** Values referring to a secret a database in this file creates wait for that database (on any server). */
async function waitForSecrets(
  values: readonly string[],
  secretReady: Map<string, { promise: Promise<boolean> }>,
): Promise<void> {
  for (const v of values) {
    const ref = v.startsWith('secret:') ? v.slice('secret:'.length) : null;
    const ready = ref ? secretReady.get(ref) : undefined;
    if (ready && !(await ready.promise))
      throw new InfraktError('STATE', `secret '${ref}' was not created (its database failed or was skipped)`);
  }
}
