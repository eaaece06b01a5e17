// The import rules of biome.json (overrides → noRestrictedImports), run by the real Biome over a fixture tree:
// command and route files never import adapters (types, re-exports and dynamic imports included), command files
// never import each other, core imports no outer layer, adapters import nothing above them. The wiring modules
// (src/cli/context.ts, src/api/context.ts) may import adapters.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const tree = mkdtempSync(join(tmpdir(), 'ikt-test-layers-'));
afterAll(() => rmSync(tree, { recursive: true, force: true }));

const FILES: Record<string, string> = {
  'src/cli/commands/adapter-value.ts':
    "import { openStore } from '../../adapters/store/open.js';\n\nexport const a = openStore;\n",
  'src/cli/commands/adapter-type.ts':
    "import type { Store } from '../../adapters/store/open.js';\n\nexport type A = Store;\n",
  'src/cli/commands/adapter-reexport.ts': "export type { StoreLock } from '../../adapters/jobs/locks.js';\n",
  'src/cli/commands/adapter-dynamic.ts': "export const d = () => import('../../adapters/connect.js');\n",
  'src/cli/commands/sibling.ts': "import { a } from './adapter-value.js';\n\nexport const b = a;\n",
  'src/cli/commands/service.ts':
    "import { listLocalLocks } from '../../services/locks.js';\n\nexport const s = listLocalLocks;\n",
  'src/cli/commands/cli-helper.ts': "import { intOption } from '../options.js';\n\nexport const i = intOption;\n",
  'src/cli/context.ts': "import { openStore } from '../adapters/store/open.js';\n\nexport const w = openStore;\n",
  'src/api/routes/adapter-value.ts':
    "import { openStore } from '../../adapters/store/open.js';\n\nexport const a = openStore;\n",
  'src/api/routes/service.ts': "import { listApps } from '../../services/apps.js';\n\nexport const s = listApps;\n",
  'src/api/context.ts': "import { openStore } from '../adapters/store/open.js';\n\nexport const w = openStore;\n",
  'src/core/upward.ts': "import type { Ctx } from '../services/context.js';\n\nexport type U = Ctx;\n",
  'src/core/to-adapter.ts': "import { openStore } from '../adapters/store/open.js';\n\nexport const u = openStore;\n",
  'src/core/inside.ts': "import { exec } from './cmd/index.js';\n\nexport const e = exec;\n",
  'src/adapters/jobs/upward.ts': "import type { Clock } from '../../services/context.js';\n\nexport type C = Clock;\n",
  'src/adapters/jobs/to-core.ts': "import type { Clock } from '../../core/clock.js';\n\nexport type C = Clock;\n",
};

describe('layer import rules (biome.json)', () => {
  it('flags exactly the forbidden imports', () => {
    // The repository's own rules; only what ties it to this checkout (schema path, git ignore files) is dropped.
    const config = JSON.parse(readFileSync(join(repo, 'biome.json'), 'utf8'));
    delete config.$schema;
    config.vcs = { enabled: false };
    writeFileSync(join(tree, 'biome.json'), JSON.stringify(config));
    for (const [path, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), text);
    }
    const r = spawnSync(join(repo, 'node_modules/.bin/biome'), ['lint', '--reporter=json', '.'], {
      cwd: tree,
      encoding: 'utf8',
    });
    const report = JSON.parse(r.stdout) as { diagnostics: { category: string; location: { path: string } }[] };
    const flagged = report.diagnostics
      .filter((d) => d.category === 'lint/style/noRestrictedImports')
      .map((d) => d.location.path)
      .sort();
    expect(flagged).toEqual([
      'src/adapters/jobs/upward.ts',
      'src/api/routes/adapter-value.ts',
      'src/cli/commands/adapter-dynamic.ts',
      'src/cli/commands/adapter-reexport.ts',
      'src/cli/commands/adapter-type.ts',
      'src/cli/commands/adapter-value.ts',
      'src/cli/commands/sibling.ts',
      'src/core/to-adapter.ts',
      'src/core/upward.ts',
    ]);
  });
});
