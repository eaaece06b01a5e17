import type { Change, Plan } from '../core/inventory/change.js';
import type { ApplyReport, ChangeResult } from '../services/inventory/apply.js';
import { c } from './output.js';

const SIGN: Record<Change['action'], string> = { create: '+', update: '~', replace: '±', delete: '-' };
const paint = (a: Change['action'], s: string) =>
  a === 'create' ? c.green(s) : a === 'update' ? c.yellow(s) : a === 'replace' ? c.magenta(s) : c.red(s);

export function changeLabel(ch: Change): string {
  return `${ch.kind} ${ch.name}`;
}

function detail(ch: Change): string {
  const parts = ch.fields.map((f) =>
    f.from === undefined
      ? `${f.field} ${f.to}`
      : f.to === undefined
        ? `${f.field} ${f.from}`
        : `${f.field} ${f.from} → ${f.to}`,
  );
  parts.push(...ch.notes);
  if (ch.action === 'update' && ch.kind === 'app' && ch.deploy) parts.push('deploy');
  // Catalog updates run through `catalog upgrade` (health-gated, rolled back on failure); drift alone redeploys.
  if (ch.action === 'update' && ch.kind === 'catalog') parts.push(ch.fields.length ? 'upgrade' : 'deploy');
  return parts.join('; ');
}

export function planSummary(plan: Plan): string {
  const n = (a: Change['action']) => plan.changes.filter((x) => x.action === a).length;
  const prune = plan.changes.filter((x) => x.destructive).length;
  return `${n('create')} to create, ${n('update')} to update, ${n('replace')} to replace, ${n('delete')} to delete${prune ? ` (${prune} need --prune)` : ''}`;
}

/** The plan for people: one block per server, one line per change, fields inline; env as keys only. */
export function renderPlan(file: string, plan: Plan, prune: boolean): string {
  const out: string[] = [];
  for (const w of plan.warnings) out.push(`${c.yellow('!')} ${w}`);
  if (plan.changes.length === 0) {
    out.push(`${c.green('✓')} ${file}: no changes — the fleet matches the file`);
    return `${out.join('\n')}\n`;
  }
  let server = '';
  const width = Math.max(...plan.changes.map((x) => changeLabel(x).length));
  for (const ch of plan.changes) {
    if (ch.server !== server) {
      server = ch.server;
      out.push('', c.bold(`server ${server}`));
    }
    const skip = ch.destructive && !prune && ch.action !== 'update' ? c.dim('  (needs --prune)') : '';
    const d = detail(ch);
    out.push(`  ${paint(ch.action, `${SIGN[ch.action]} ${changeLabel(ch).padEnd(width)}`)}  ${d}${skip}`);
  }
  out.push('', `${file}: ${planSummary(plan)}`);
  return `${out.join('\n')}\n`;
}

export function renderResult(r: ChangeResult): string {
  const label = `${r.change.server}: ${SIGN[r.change.action]} ${changeLabel(r.change)}`;
  const t = `${(r.durationMs / 1000).toFixed(1)}s`;
  const jobs = r.jobIds.length ? c.dim(` (job ${r.jobIds.join(', ')})`) : '';
  if (r.status === 'done') return `${c.green('✓')} ${label}${r.message ? ` — ${r.message}` : ''} ${c.dim(t)}${jobs}`;
  if (r.status === 'skipped') return `${c.dim('-')} ${label} ${c.dim(`skipped: ${r.message}`)}`;
  return `${c.red('✗')} ${label} — ${r.error?.code}: ${r.error?.message}${jobs}${r.error?.hint ? `\n    hint: ${r.error.hint}` : ''}`;
}

export function renderReport(rep: ApplyReport): string {
  return `${rep.done} done, ${rep.failed} failed, ${rep.skipped} skipped in ${(rep.durationMs / 1000).toFixed(1)}s`;
}
