import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { manifestSchema, stackSchema } from '../../core/catalog/manifest-schema.js';
import { InfraktError } from '../../core/errors.js';
import {
  type CatalogInputView,
  entryDetail,
  findEntry,
  listEntries,
  openCatalog,
  openCatalogDir,
  SOCKET_WARNING,
} from '../../services/catalog/catalog-index.js';
import { listInstalled } from '../../services/catalog/installed.js';
import { appCatalogOutputs } from '../../services/catalog/outputs.js';
import { audit } from '../../services/shared/audit.js';
import { catalogDirOption } from '../catalog-options.js';
import { withCtx } from '../context.js';
import { c, dash, info, printJson, printTable, status } from '../output.js';

/** Warns about refused user entries without failing the listing. */
function reportProblems(problems: readonly { where: string; message: string }[]): void {
  for (const p of problems) info(`${c.yellow('warning:')} refused ${p.where}: ${p.message}`);
}

function condition(i: CatalogInputView): string {
  if (!i.visible_if) return '';
  return Object.entries(i.visible_if)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : v}`)
    .join(' and ');
}

function rules(i: CatalogInputView): string {
  const r: string[] = [];
  if (i.allowed_values) r.push(`one of ${i.allowed_values.join(', ')}`);
  if (i.min !== undefined) r.push(`≥ ${i.min}`);
  if (i.max !== undefined) r.push(`≤ ${i.max}`);
  if (i.min_length !== undefined) r.push(`≥ ${i.min_length} chars`);
  if (i.max_length !== undefined) r.push(`≤ ${i.max_length} chars`);
  if (i.pattern) r.push(i.pattern_message ?? `matches ${i.pattern}`);
  if (i.generate) r.push(`generated (${i.generate}) when empty`);
  return r.join('; ');
}

export function registerCatalogCommands(catalog: Command): void {
  catalogDirOption(
    catalog
      .command('list')
      .description('entries of the catalog (newest version of each)')
      .option('--category <category>', 'only this category')
      .option('--search <text>', 'match name, id, description and tags')
      .option('--json', 'print as JSON'),
  ).action((o) => {
    const cat = openCatalog({ catalogDirs: o.catalogDir });
    reportProblems(cat.problems);
    const rows = listEntries(cat, { category: o.category, search: o.search });
    if (o.json) return printJson(rows);
    printTable(
      ['ID', 'NAME', 'VERSION', 'CATEGORY', 'KIND', 'DESCRIPTION'],
      rows.map((e) => [
        e.id,
        `${e.icon} ${e.name}${e.dockerSocket === 'direct' ? c.red(' [full control of this server]') : ''}`,
        e.version,
        e.category,
        e.kind,
        e.description.length > 60 ? `${e.description.slice(0, 59)}…` : e.description,
      ]),
      'no entries match',
    );
  });

  catalogDirOption(
    catalog
      .command('show <id>')
      .description('one entry: its inputs (types, defaults, conditions), outputs, route, volumes, requirements')
      .option('--version <version>', 'a specific version (default: the newest)')
      .option('--json', 'print as JSON'),
  ).action((id: string, o) => {
    const cat = openCatalog({ catalogDirs: o.catalogDir });
    const d = entryDetail(cat, findEntry(cat, id, o.version));
    if (o.json) return printJson(d);
    const out = (k: string, v: string) => process.stdout.write(`${c.dim(k.padEnd(12))}${v}\n`);
    out(
      'entry',
      `${d.icon} ${c.bold(d.name)} (${d.id}) ${d.version}${d.versions.length > 1 ? c.dim(` — also ${d.versions.filter((v) => v !== d.version).join(', ')}`) : ''}`,
    );
    out('kind', d.kind === 'compose' ? 'compose app (deployed like any app)' : 'host installer (runs on the server)');
    out('category', d.category);
    out('website', d.website);
    out('about', d.description);
    if (d.route) out('route', `${d.route.service}:${d.route.port} ← the app domain, through Caddy`);
    if (d.volumes.length) out('volumes', d.volumes.map((v) => `${v.name} (${v.description})`).join(', '));
    if (d.os) out('systems', d.os.map((x) => `${x.id}${x.min_version ? ` ≥ ${x.min_version}` : ''}`).join(', '));
    out('time limit', `${d.timeoutSeconds} s`);
    if (d.kind === 'host')
      out(
        're-runs',
        d.idempotencyCheck
          ? 'check.sh: a run on a server already in this state reports "unchanged"'
          : 'no check.sh: every run installs again',
      );
    if (d.kind === 'host')
      out(
        'removal',
        d.removable
          ? 'uninstall.sh: infrakt catalog uninstall removes it'
          : 'no uninstall.sh: infrakt cannot remove it (undo it by hand)',
      );
    if (d.dockerSocket !== 'none')
      out(
        'docker',
        `${d.dockerSocket === 'direct' ? c.red(SOCKET_WARNING.direct) : SOCKET_WARNING.proxy}: ${d.dockerSocketReason}`,
      );
    if (d.upgradeNotes) out('upgrades', d.upgradeNotes);
    process.stdout.write('\n');
    printTable(
      ['INPUT', 'TYPE', 'REQUIRED', 'DEFAULT', 'SHOWN IF', 'RULES', 'LABEL'],
      d.inputs.map((i) => [
        i.name,
        i.type,
        i.required ? 'yes' : 'no',
        dash(i.default),
        dash(condition(i)),
        dash(rules(i)),
        i.label,
      ]),
      'no inputs',
    );
    if (d.outputs.length) {
      process.stdout.write('\n');
      out('outputs', d.outputs.map((x) => `${x.label}${x.secret ? ' (secret, shown once)' : ''}`).join(', '));
    }
  });

  catalog
    .command('schema')
    .description('the manifest format as JSON Schema (for editors); --stack for stack files')
    .option('--stack', 'the schema of stack files instead')
    .action((o) => {
      const schema = z.toJSONSchema(o.stack ? stackSchema : manifestSchema, { io: 'input', unrepresentable: 'any' });
      printJson({ title: o.stack ? 'infrakt catalog stack' : 'infrakt catalog manifest', ...schema });
    });

  catalog
    .command('validate [dir]')
    .description('check every manifest, template and stack in a catalog folder (default: the built-in one)')
    .action((dir: string | undefined) => {
      const cat = dir ? openCatalogDir(resolve(dir)) : openCatalog();
      for (const p of cat.problems) process.stdout.write(`${c.red('✗')} ${p.where}: ${p.message}\n`);
      process.stdout.write(
        `${cat.entries.length} entr${cat.entries.length === 1 ? 'y' : 'ies'} and ${cat.stacks.length} stack(s) valid, ${cat.problems.length} problem(s)\n`,
      );
      if (cat.problems.length > 0)
        throw new InfraktError('VALIDATION', `${cat.problems.length} problem(s) in the catalog`, {
          hint: 'fix the fields named above',
        });
    });

  catalogDirOption(
    catalog
      .command('installed')
      .description('apps installed from the catalog and host entries run on servers')
      .option('--server <server>', 'only this server')
      .option('--json', 'print as JSON'),
  ).action(async (o) => {
    await withCtx(async (ctx) => {
      const rows = await listInstalled(ctx, { server: o.server, catalogDirs: o.catalogDir });
      if (o.json) return printJson(rows);
      printTable(
        ['NAME', 'ENTRY', 'VERSION', 'KIND', 'SERVER', 'STATUS', 'DOMAIN', 'REMOVE'],
        rows.map((r) => [
          r.name,
          r.entry,
          r.version,
          r.kind,
          r.server,
          status(r.status),
          dash(r.domain),
          r.removable ? 'catalog uninstall' : c.dim('by hand (no uninstall.sh)'),
        ]),
        'nothing installed from the catalog yet — see: infrakt catalog list',
      );
    });
  });

  catalogDirOption(
    catalog
      .command('outputs <name>')
      .description("an installed app's outputs (URL, admin user, …); secrets only with --reveal")
      .option('--reveal', 'show secret values too (recorded in the audit log)')
      .option('--server <server>', 'server of the app (when the name is used on several)')
      .option('--json', 'print as JSON'),
  ).action(async (name: string, o) => {
    await withCtx(async (ctx) => {
      const r = await appCatalogOutputs(ctx, name, { server: o.server, catalogDirs: o.catalogDir, reveal: o.reveal });
      if (o.reveal)
        await audit(ctx, 'catalog.outputs.reveal', r.app, {
          outputs: r.outputs.filter((x) => x.secret).map((x) => x.label),
        });
      if (o.json) return printJson(r);
      printTable(
        ['OUTPUT', 'VALUE'],
        r.outputs.map((x) => [x.label, x.value ?? c.dim('[secret: --reveal]')]),
        `${r.entry} ${r.version} has no outputs`,
      );
    });
  });
}
