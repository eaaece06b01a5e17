import type { Command } from 'commander';
import { openCatalog } from '../services/catalog/catalog-index.js';
import { listStacks } from '../services/catalog/stacks.js';
import { catalogDirOption } from './catalog-options.js';
import { printJson, printTable } from './output.js';

export function listStacksCommand(stack: Command): void {
  catalogDirOption(
    stack
      .command('list')
      .description('stacks and the entries they install, in order')
      .option('--json', 'print as JSON'),
  ).action((o) => {
    const stacks = listStacks(openCatalog({ catalogDirs: o.catalogDir }));
    if (o.json) return printJson(stacks);
    printTable(
      ['STACK', 'NAME', 'ENTRIES (in order)', 'SHARED INPUTS'],
      stacks.map((s) => [
        s.id,
        s.name,
        s.entries.map((e) => e.entry).join(' → '),
        s.inputs.map((i) => `${i.name}${i.required ? '*' : ''}`).join(', ') || '-',
      ]),
      'no stacks',
    );
  });
}
