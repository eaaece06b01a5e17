import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseSetPairs } from '../../core/catalog/inputs.js';
import { parseYaml } from '../../core/catalog/yaml.js';
import { InfraktError } from '../../core/errors.js';
import { isSecret } from '../../core/secret.js';
import { entryDetail, findEntry, openCatalog, SOCKET_WARNING } from '../../services/catalog/catalog-index.js';
import { prepareCatalogInstall } from '../../services/catalog/install.js';
import type { CatalogInstallResult, InstallOutput } from '../../services/catalog/install-compose.js';
import { prepareStackInstall, runStack } from '../../services/catalog/stacks.js';
import { prepareCatalogUpgrade } from '../../services/catalog/upgrade.js';
import { catalogDirOption, collect } from '../catalog-options.js';
import { promptMissing } from '../catalog-prompt.js';
import { listStacksCommand } from '../catalog-stack-list.js';
import { withCtx } from '../context.js';
import { c, ce, info, printTable, status, success } from '../output.js';
import { runJob } from '../progress.js';
import { confirm } from '../prompt.js';

/** `--values FILE` (YAML or JSON map) under `--set k=v` pairs, which win. Values are never echoed. */
export function givenValues(o: { set?: string[]; values?: string }): Record<string, string> {
  let fromFile: Record<string, string> = {};
  if (o.values) {
    let data: unknown;
    try {
      data = parseYaml(readFileSync(o.values, 'utf8'));
    } catch (e) {
      throw new InfraktError('VALIDATION', `cannot read --values ${o.values}: ${(e as Error).message}`);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw new InfraktError('VALIDATION', `--values ${o.values} must be a map of input name to value`);
    fromFile = Object.fromEntries(
      Object.entries(data as Record<string, unknown>).map(([k, v]) => {
        if (v !== null && typeof v === 'object')
          throw new InfraktError('VALIDATION', `--values ${o.values}: ${k} must be a single value`);
        return [k, v === null ? '' : String(v)];
      }),
    );
  }
  const { values, issues } = parseSetPairs(o.set ?? []);
  if (issues.length) throw new InfraktError('VALIDATION', `invalid --set ${issues[0]!.input}: ${issues[0]!.message}`);
  return { ...fromFile, ...values };
}

/** Outputs, once: secret ones are revealed here and nowhere else (job records hold `[redacted]`). */
export function printOutputs(outputs: readonly InstallOutput[], generated: readonly string[], app?: string): void {
  if (outputs.length)
    process.stdout.write(`${c.bold('outputs')} ${c.dim('(secrets are shown once: store them now)')}\n`);
  for (const o of outputs) {
    const v = isSecret(o.value) ? o.value.reveal() : o.value;
    process.stdout.write(`  ${o.label.padEnd(24)} ${o.secret ? c.yellow(v) : v}\n`);
  }
  if (generated.length && app)
    process.stdout.write(
      `${c.dim(`generated: ${generated.join(', ')} — kept encrypted in the app env (infrakt env list ${app} --show-values)`)}\n`,
    );
}

function printInstalled(r: CatalogInstallResult): void {
  if (r.kind === 'compose') {
    success(`${r.entry} ${r.version} installed as app ${c.bold(r.app ?? '')} on ${r.server} (release ${r.release})`);
    if (r.domain) process.stdout.write(`  https://${r.domain}\n`);
  } else if (r.outcome === 'unchanged') success(`${r.entry} ${r.version} on ${r.server}: unchanged (already in place)`);
  else
    success(
      `${r.entry} ${r.version} installed on ${r.server}${(r.attempts ?? 1) > 1 ? ` after ${r.attempts} attempts` : ''}`,
    );
  if (r.ignored.length) info(`${ce.dim(`ignored (hidden by their conditions): ${r.ignored.join(', ')}`)}`);
  printOutputs(r.outputs, r.generated, r.app);
}

/** Entries that reach the Docker socket directly say so, and need a yes (a TTY answer or --yes). */
async function acceptSocket(id: string, access: string, reason: string | null, yes: boolean): Promise<void> {
  if (access === 'none') return;
  const text = access === 'direct' ? SOCKET_WARNING.direct : SOCKET_WARNING.proxy;
  info(
    `${access === 'direct' ? ce.red('warning:') : ce.yellow('note:')} ${id}: ${text}${reason ? ` — ${reason}` : ''}`,
  );
  if (access === 'direct' && !yes)
    await confirm(`Install ${id} with full control of this server?`, 'pass --yes to accept');
}

export function registerCatalogInstallCommands(catalog: Command): void {
  catalogDirOption(
    catalog
      .command('install <id>')
      .description('install an entry on a server: a compose app (health-gated deploy) or a host installer')
      .requiredOption('--server <server>', 'target server')
      .option('--name <name>', 'app name (compose entries; default: the entry id)')
      .option('--domain <domain>', 'domain routed to the app by Caddy, with TLS')
      .option('--set <name=value>', 'an input value (repeatable)', collect, [] as string[])
      .option('--values <file>', 'input values from a YAML or JSON file (--set wins)')
      .option('--version <version>', 'a specific version (default: the newest)')
      .option('--yes', 'accept an entry that needs the Docker socket without asking')
      .option('--json', 'print the job record as JSON (secret outputs redacted)'),
  ).action(async (id: string, o) => {
    const cat = openCatalog({ catalogDirs: o.catalogDir });
    const entry = findEntry(cat, id, o.version);
    const d = entryDetail(cat, entry);
    await acceptSocket(id, d.dockerSocket, d.dockerSocketReason, Boolean(o.yes));
    const values = await promptMissing(entry.manifest.inputs, givenValues(o));
    await withCtx(async (ctx) => {
      const plan = await prepareCatalogInstall(ctx, {
        entry: id,
        version: entry.manifest.version,
        server: o.server,
        name: o.name,
        domain: o.domain,
        values,
        catalogDirs: o.catalogDir,
      });
      const { result } = await runJob(ctx, plan.spec, plan.body, { json: o.json });
      if (!o.json) printInstalled(result);
    });
  });

  catalogDirOption(
    catalog
      .command('upgrade <name>')
      .description('re-render an app from a newer catalog version and deploy it health-gated; rolls back on failure')
      .option('--to <version>', 'the version to move to (default: the newest)')
      .option(
        '--set <name=value>',
        'a new input value (repeatable); others keep their installed values',
        collect,
        [] as string[],
      )
      .option('--domain <domain>', 'move the app to this domain (routed once the new release is healthy)')
      .option('--no-domain', 'remove its domain (reachable only on its loopback port)')
      .option('--server <server>', 'server of the app (when the name is used on several)')
      .option('--json', 'print the job record as JSON'),
  ).action(async (name: string, o) => {
    await withCtx(async (ctx) => {
      const plan = await prepareCatalogUpgrade(ctx, name, {
        server: o.server,
        to: o.to,
        // --no-domain sets false (remove it), --domain a name; neither leaves the domain as it is.
        domain: o.domain === false ? null : (o.domain as string | undefined),
        values: givenValues(o),
        catalogDirs: o.catalogDir,
      });
      const { result } = await runJob(ctx, plan.spec, plan.body, { json: o.json });
      if (o.json) return;
      success(`${result.app}: ${result.entry} ${result.from} → ${result.to} (release ${result.release})`);
      if (result.domainFrom !== undefined)
        process.stdout.write(
          `  domain ${result.domainFrom ?? '-'} → ${typeof o.domain === 'string' ? o.domain : '-'}\n`,
        );
      if (result.upgradeNotes) process.stdout.write(`${c.bold('upgrade notes:')} ${result.upgradeNotes}\n`);
      if (result.generated.length) printOutputs(result.outputs, result.generated, result.app);
    });
  });

  const stack = catalog.command('stack').description('stacks: several entries installed in order with shared inputs');
  listStacksCommand(stack);
  catalogDirOption(
    stack
      .command('install <stack>')
      .description('install every entry of a stack in order; the first failure stops the rest')
      .requiredOption('--server <server>', 'target server')
      .option('--set <name=value>', 'a shared input value (repeatable)', collect, [] as string[])
      .option('--values <file>', 'input values from a YAML or JSON file')
      .option('--prefix <prefix>', 'prefix for the app names, e.g. ops-')
      .option('--yes', 'accept entries that need the Docker socket without asking'),
  ).action(async (stackId: string, o) => {
    const cat = openCatalog({ catalogDirs: o.catalogDir });
    const found = cat.stacks.find((s) => s.stack.id === stackId);
    for (const e of found?.stack.entries ?? []) {
      const d = entryDetail(cat, findEntry(cat, e.entry));
      await acceptSocket(e.entry, d.dockerSocket, d.dockerSocketReason, Boolean(o.yes));
    }
    const values = found ? await promptMissing(found.stack.inputs, givenValues(o)) : givenValues(o);
    await withCtx(async (ctx) => {
      const members = await prepareStackInstall(ctx, stackId, {
        server: o.server,
        values,
        prefix: o.prefix,
        catalogDirs: o.catalogDir,
      });
      const report = await runStack(members, async (m, plan) => {
        info(c.bold(`— ${m.entry} as ${m.name}`));
        const r = await runJob(ctx, plan.spec, plan.body);
        printInstalled(r.result);
        return r;
      });
      process.stdout.write(`\n${c.bold(`stack ${stackId} on ${o.server}`)}\n`);
      printTable(
        ['ENTRY', 'NAME', 'STATUS', 'JOB', 'ERROR'],
        report.lines.map((l) => [
          l.entry,
          l.name,
          status(l.status === 'installed' ? 'succeeded' : l.status),
          l.jobId ?? '-',
          l.error ?? '',
        ]),
        'empty stack',
      );
      if (!report.ok) {
        const done = report.lines.filter((l) => l.status === 'installed' || l.status === 'unchanged').length;
        throw new InfraktError(
          report.error!.code,
          `stack ${stackId} stopped at ${report.lines.find((l) => l.status === 'failed')?.entry}: ${report.error!.message}`,
          {
            hint: `${done} of ${report.lines.length} entries in place; the rest were not attempted. Fix the cause and run the stack again: entries already installed are skipped`,
            details: { report: report.lines },
          },
        );
      }
    });
  });
}
