// A command evaluates only its own command group's modules (src/cli/command-groups.ts): `server list` must not
// build the catalog, inventory, API or MCP schemas, which was most of a cold start (issue 19, bench/cold-start.mjs).
//
// How it is seen: the bundle (scripts/build.mjs) turns every module behind a dynamic import into a lazily called
// function named by its path (`"src/api/app.ts"() {…}`); V8's coverage (NODE_V8_COVERAGE) of a run of the built
// CLI counts the calls of each. A module someone imports eagerly again is either called at start-up or no longer a
// lazy part at all: both fail here.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from '../harness/cli.js';
import { infrakt } from './cli-harness.js';

interface FunctionCoverage {
  functionName: string;
  ranges: { count: number }[];
}

let base: string;
let home: string;

beforeAll(() => {
  ensureCliBuilt();
  base = mkdtempSync(join(tmpdir(), 'ikt-lazy-start-'));
  home = join(base, 'home');
  const init = infrakt(home, ['init']);
  expect(init.code, init.stderr).toBe(0);
}, 180_000);

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

/** Runs the CLI under V8 coverage: how often each lazily evaluated module of the bundle was evaluated. */
function lazyModuleCalls(args: readonly string[]): { stdout: string; calls: Map<string, number> } {
  const dir = mkdtempSync(join(base, 'coverage-'));
  const r = infrakt(home, args, { NODE_V8_COVERAGE: dir });
  expect(r.code, r.stderr).toBe(0);
  const calls = new Map<string, number>();
  for (const file of readdirSync(dir)) {
    const report = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      result: { url: string; functions: FunctionCoverage[] }[];
    };
    const bundle = report.result.find((s) => s.url.endsWith('/dist/cli.js'));
    for (const f of bundle?.functions ?? []) {
      if (/^(src|node_modules)\/.+\.[cm]?[jt]s$/.test(f.functionName)) {
        calls.set(f.functionName, (calls.get(f.functionName) ?? 0) + (f.ranges[0]?.count ?? 0));
      }
    }
  }
  return { stdout: r.stdout, calls };
}

// Modules `server list` has no use for, each of which an earlier CLI evaluated on every start.
const HEAVY = [
  'src/cli/commands/apps.ts',
  'src/cli/commands/catalog.ts',
  'src/cli/commands/inventory.ts',
  'src/cli/commands/serve.ts',
  'src/core/catalog/manifest-schema.ts',
  'src/core/inventory/schema.ts',
  'src/services/inventory/export.ts',
  'src/api/app.ts',
  'src/mcp/server.ts',
];

describe('lazy start-up of the built CLI', () => {
  it('server list evaluates its own group, none of the other groups, catalog, inventory, API or MCP', () => {
    const { stdout, calls } = lazyModuleCalls(['server', 'list', '--json']);
    expect(JSON.parse(stdout)).toEqual([]);
    // What the command needs did run, so the coverage does see module evaluation.
    expect(calls.get('src/cli/commands/servers.ts')).toBe(1);
    expect(calls.get('src/adapters/store/open.ts')).toBe(1);
    for (const name of HEAVY) {
      expect(calls.has(name), `${name} is a lazily evaluated part of dist/cli.js`).toBe(true);
      expect(calls.get(name), `${name} was evaluated by server list`).toBe(0);
    }
  });

  it('help still builds the whole program: every group is evaluated', () => {
    const { stdout, calls } = lazyModuleCalls(['--help']);
    for (const group of ['app', 'catalog', 'plan', 'serve', 'server', 'api-key'])
      expect(stdout).toContain(`  ${group}`);
    for (const name of ['src/cli/commands/apps.ts', 'src/cli/commands/catalog.ts', 'src/cli/commands/serve.ts']) {
      expect(calls.get(name), name).toBe(1);
    }
  });
});
