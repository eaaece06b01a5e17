// Stacks (seed 002's profiles): a manifest listing entries with shared inputs. Every entry of the stack is
// validated before the first one installs; then they install in order and the first failure stops the rest.
import type { Catalog, CatalogStack } from '../../adapters/catalog/catalog-dir.js';
import { resolveInputs } from '../../core/catalog/inputs.js';
import { fillTemplate, templateVars } from '../../core/catalog/manifest-schema.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { catalogSettings } from './app-records.js';
import { type CatalogOptions, findEntry, openCatalog } from './catalog-index.js';
import { type CatalogInstallResult, prepareComposeInstall } from './install-compose.js';
import { prepareHostInstall } from './install-host.js';
import { fill } from './values.js';

export interface StackView {
  id: string;
  name: string;
  description: string;
  entries: { entry: string; name: string }[];
  inputs: { name: string; type: string; label: string; required: boolean }[];
  source: 'builtin' | 'user';
}

export const stackView = (s: CatalogStack): StackView => ({
  id: s.stack.id,
  name: s.stack.name,
  description: s.stack.description,
  entries: s.stack.entries.map((e) => ({ entry: e.entry, name: e.name ?? e.entry })),
  inputs: s.stack.inputs.map((i) => ({ name: i.name, type: i.type, label: i.label, required: i.required })),
  source: s.source,
});

export function listStacks(cat: Catalog): StackView[] {
  return cat.stacks.map(stackView).sort((a, b) => a.id.localeCompare(b.id));
}

export interface StackMember {
  readonly entry: string;
  readonly name: string;
  /** Null when the app is already installed from this entry (a stack run again after a failure). */
  readonly plan: JobPlan<CatalogInstallResult> | null;
}

export interface StackInstallRequest extends CatalogOptions {
  readonly server: string;
  /** Shared input values (and entry inputs of the same name). */
  readonly values?: Readonly<Record<string, string>>;
  /** Prefix for the app names, e.g. `ops-` (default none). */
  readonly prefix?: string | undefined;
}

/** Validates the whole stack and prepares one install per entry, in order. */
export async function prepareStackInstall(ctx: Ctx, stackId: string, req: StackInstallRequest): Promise<StackMember[]> {
  const cat = openCatalog(req);
  const found = cat.stacks.find((s) => s.stack.id === stackId);
  if (!found)
    throw new InfraktError('NOT_FOUND', `stack '${stackId}' not found`, {
      hint: 'see the stacks with: infrakt catalog stack list',
    });
  const stack = found.stack;
  const given = req.values ?? {};
  const shared = resolveInputs(
    stack.inputs,
    Object.fromEntries(Object.entries(given).filter(([k]) => stack.inputs.some((i) => i.name === k))),
    { fill },
  );
  if (shared.issues.length) {
    const f = shared.issues[0]!;
    throw new InfraktError('VALIDATION', `invalid input ${f.input}: ${f.message}`, {
      details: { issues: shared.issues.map((i) => ({ field: `inputs.${i.input}`, message: i.message })) },
    });
  }
  const sharedEnv: Record<string, string> = {};
  for (const i of stack.inputs) if (shared.values[i.name] !== undefined) sharedEnv[i.env] = shared.values[i.name]!;
  // A template whose variables are all set; otherwise nothing (an optional base domain left empty).
  const filled = (t: string) => (templateVars(t).every((v) => sharedEnv[v]) ? fillTemplate(t, sharedEnv) : '');
  const members: StackMember[] = [];
  for (const e of stack.entries) {
    const entry = findEntry(cat, e.entry);
    const values: Record<string, string> = {};
    for (const input of entry.manifest.inputs) {
      const v = shared.values[input.name] ?? given[input.name];
      if (v !== undefined && v !== '') values[input.name] = v;
    }
    for (const [k, t] of Object.entries(e.values)) {
      const v = filled(t);
      if (v) values[k] = v;
    }
    const name = `${req.prefix ?? ''}${e.name ?? e.entry}`;
    const domain = e.domain ? filled(e.domain) || undefined : undefined;
    const target = { server: req.server, name, domain, values };
    if (entry.manifest.kind === 'compose') {
      const existing = await ctx.store.db
        .selectFrom('apps')
        .innerJoin('servers', 'servers.id', 'apps.server_id')
        .select(['apps.settings_json'])
        .where('servers.name', '=', req.server)
        .where('apps.name', '=', name)
        .executeTakeFirst();
      if (existing && catalogSettings(existing)?.id === entry.manifest.id) {
        members.push({ entry: e.entry, name, plan: null });
        continue;
      }
    }
    try {
      const plan =
        entry.manifest.kind === 'compose'
          ? await prepareComposeInstall(ctx, entry, target)
          : await prepareHostInstall(ctx, entry, target);
      members.push({ entry: e.entry, name, plan });
    } catch (err) {
      const x = toInfraktError(err);
      throw new InfraktError(x.code, `stack ${stack.id}, entry ${e.entry}: ${x.message}`, {
        hint: x.hint ?? 'nothing was installed',
        details: x.details,
      });
    }
  }
  return members;
}

export interface StackReportLine {
  entry: string;
  name: string;
  status: 'installed' | 'unchanged' | 'already installed' | 'failed' | 'not attempted';
  jobId?: string;
  error?: string;
}

/**
 * Runs the prepared installs one after another; the first failure stops the rest. The report says what
 * happened to every entry, so a partial stack is never mistaken for a whole one.
 */
export async function runStack(
  members: readonly StackMember[],
  run: (
    m: StackMember,
    plan: JobPlan<CatalogInstallResult>,
  ) => Promise<{ jobId?: string; result: CatalogInstallResult }>,
): Promise<{ ok: boolean; lines: StackReportLine[]; error?: InfraktError }> {
  const lines: StackReportLine[] = members.map((m) => ({ entry: m.entry, name: m.name, status: 'not attempted' }));
  for (const [i, m] of members.entries()) {
    if (!m.plan) {
      lines[i] = { ...lines[i]!, status: 'already installed' };
      continue;
    }
    try {
      const r = await run(m, m.plan);
      lines[i] = {
        ...lines[i]!,
        status: r.result.outcome === 'unchanged' ? 'unchanged' : 'installed',
        ...(r.jobId ? { jobId: r.jobId } : {}),
      };
    } catch (e) {
      const err = toInfraktError(e);
      const jobId = typeof err.details?.jobId === 'string' ? err.details.jobId : undefined;
      lines[i] = { ...lines[i]!, status: 'failed', error: err.message, ...(jobId ? { jobId } : {}) };
      return { ok: false, lines, error: err };
    }
  }
  return { ok: true, lines };
}
