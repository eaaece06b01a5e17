import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InfraktError } from '../../core/errors.js';
import { inventoryJsonSchema } from '../../core/inventory/schema.js';
import { applyInventory } from '../../services/inventory/apply.js';
import { exportInventory } from '../../services/inventory/export.js';
import { planInventory } from '../../services/inventory/plan.js';
import { catalogDirOption } from '../catalog-options.js';
import { withCtx } from '../context.js';
import { exitWith, reportError } from '../errors.js';
import { info, printJson, success } from '../output.js';
import { renderPlan, renderReport, renderResult } from '../plan-render.js';
import { confirm } from '../prompt.js';

const DEFAULT_FILE = 'infrakt.yaml';
/** Catalog folders as absolute paths (the jobs may outlive the working directory's meaning). */
const dirs = (d: string[] | undefined) => (d ?? []).map((x) => resolve(x));

export function registerInventoryCommands(program: Command): void {
  const plan = program
    .command('plan')
    .description(
      'compare infrakt.yaml with the local state and the live servers; exit 0 no changes, 2 changes, 1 error',
    )
    .option('-f, --file <file>', 'inventory file', DEFAULT_FILE)
    .option('--no-live', 'compare with the local state only (do not connect to the servers)')
    .option('--prune', 'show deletes as they would be applied with apply --prune')
    .option('--json', 'print the plan as JSON');
  catalogDirOption(plan).action(async (o) => {
    // terraform plan -detailed-exitcode: 0 = no changes, 1 = error, 2 = changes. An error is reported as usual
    // and exits 1, so that 2 can only mean "changes" in CI.
    let changes = 0;
    try {
      await withCtx(async (ctx) => {
        const p = await planInventory(ctx, o.file, { live: o.live, catalogDirs: dirs(o.catalogDir) });
        changes = p.plan.changes.length;
        if (o.json) printJson({ file: p.file, checked: p.checked, ...p.plan });
        else process.stdout.write(renderPlan(p.file, p.plan, Boolean(o.prune)));
      });
    } catch (e) {
      reportError(e, process.argv.includes('--debug'));
      throw exitWith(1);
    }
    if (changes > 0) throw exitWith(2);
  });

  const apply = program
    .command('apply')
    .description('apply infrakt.yaml: servers → provision → databases → apps → routes, servers in parallel')
    .option('-f, --file <file>', 'inventory file', DEFAULT_FILE)
    .option('-y, --yes', 'do not ask before applying (CI)')
    .option('--prune', 'also delete what the file no longer declares (and replace what must be recreated)')
    .option('--json', 'print the plan and the results as JSON (needs --yes)');
  catalogDirOption(apply).action(async (o) => {
    await withCtx(async (ctx) => {
      const p = await planInventory(ctx, o.file, { catalogDirs: dirs(o.catalogDir) });
      if (!o.json) process.stdout.write(renderPlan(p.file, p.plan, Boolean(o.prune)));
      const runnable = p.plan.changes.filter((x) => o.prune || !x.destructive || x.action === 'update');
      if (runnable.length === 0) {
        if (o.json) printJson({ file: p.file, ...p.plan, results: [] });
        return;
      }
      if (!o.yes) {
        if (o.json) throw new InfraktError('ABORTED', 'apply --json needs --yes', { hint: 'pass --yes' });
        await confirm(
          `Apply ${runnable.length} change(s) from ${p.file}?`,
          'review the plan, then pass --yes to apply it',
        );
      }
      const report = await applyInventory(ctx, p, {
        prune: Boolean(o.prune),
        onEvent: (e) => {
          if (o.json) return;
          if (e.type === 'end') process.stdout.write(`${renderResult(e.result)}\n`);
          else if (e.type === 'start')
            info(`… ${e.change.server}: ${e.change.action} ${e.change.kind} ${e.change.name}`);
        },
      });
      if (o.json) printJson({ file: p.file, ...p.plan, results: report.results, summary: report });
      else process.stdout.write(`${renderReport(report)}\n`);
      if (report.failed > 0) {
        const first = report.results.find((r) => r.status === 'failed');
        throw new InfraktError(
          (first?.error?.code as InfraktError['code']) ?? 'COMMAND_FAILED',
          `${report.failed} change(s) failed; their servers' later changes were skipped`,
          {
            hint: 'fix the cause and run apply again: what succeeded is not redone',
          },
        );
      }
      if (!o.json) success('applied');
    });
  });

  const exp = program
    .command('export')
    .description('write the local state as infrakt.yaml (plan on it shows no changes)')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--with-env', 'include env values (decrypted: keep the file private)');
  catalogDirOption(exp).action(async (o) => {
    await withCtx(async (ctx) => {
      const { yaml } = await exportInventory(ctx, { withEnv: Boolean(o.withEnv), catalogDirs: dirs(o.catalogDir) });
      if (!o.output) return void process.stdout.write(yaml);
      writeFileSync(o.output, yaml, { mode: o.withEnv ? 0o600 : 0o644 });
      success(`wrote ${o.output}`);
    });
  });

  program
    .command('schema')
    .description('print a JSON Schema (for editors): infrakt schema inventory')
    .argument('<what>', 'inventory')
    .action(async (what: string) => {
      if (what !== 'inventory')
        throw new InfraktError('VALIDATION', `unknown schema '${what}'`, { hint: 'available: inventory' });
      printJson(inventoryJsonSchema());
    });
}
