// `catalog uninstall` refusals: everything that can be refused is refused while preparing, before a job exists or
// a server is contacted (the test context has no job runner and no connections: either would throw), and the
// state is unchanged. What is accepted becomes the right job: a host entry's uninstall, or an app destroy.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCatalogDir, loadCatalog } from '../../../src/adapters/catalog/catalog-dir.js';
import { type InfraktError, isInfraktError } from '../../../src/core/errors.js';
import { entryDetail, findEntry, openCatalog, openCatalogDir } from '../../../src/services/catalog/catalog-index.js';
import { hostScripts } from '../../../src/services/catalog/host-run.js';
import { prepareCatalogUninstall } from '../../../src/services/catalog/uninstall.js';
import { REPO_ROOT } from '../../harness/cli.js';
import { dumpRows, openTestState, removeDir, type TestState, tempDir } from '../../helpers/state.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'catalog');
const catalogDirs = [FIXTURES];

async function refusal(p: Promise<unknown>): Promise<InfraktError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  if (!isInfraktError(e)) throw new Error(`expected an InfraktError, got ${String(e)}`);
  return e;
}

describe('catalog uninstall: refusals before anything runs', () => {
  let state: TestState;
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    state = openTestState();
    const db = state.ctx.store.db;
    const now = new Date().toISOString();
    for (const name of ['s1', 's2']) {
      const r = await db
        .insertInto('servers')
        .values({
          name,
          host: '127.0.0.1',
          port: 22,
          user: 'root',
          key_path: null,
          provider: null,
          root_dir: '/opt/infrakt',
          status: 'active',
          host_key_fingerprint: null,
          host_key: null,
          settings_json: '{}',
          last_checked_at: null,
          last_error: null,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids[name] = r.id;
    }
    const host = (server: string, entry: string) =>
      db
        .insertInto('catalog_host_installs')
        .values({
          server_id: ids[server]!,
          entry_id: entry,
          version: '1',
          status: 'installed',
          exit_code: 0,
          job_id: null,
          values_json: JSON.stringify({ marker: 'm1', mode: 'ok' }),
          values_sealed: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    await host('s1', 'hostcodes'); // no uninstall.sh
    await host('s1', 'hostconf'); // has one
    await host('s2', 'hostconf');
    const app = (name: string, settings: object) =>
      db
        .insertInto('apps')
        .values({
          server_id: ids.s1!,
          name,
          app_type: 'compose',
          domain: null,
          port: 80,
          git_repo: null,
          branch: null,
          image: null,
          status: 'running',
          settings_json: JSON.stringify(settings),
          current_release: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
    await app('shop', { catalog: { id: 'webapp', version: '1', source: 'user', installedAt: now } });
    await app('plain', {});
    // An app with the name of a host entry on the same server: only --kind tells them apart.
    await app('hostcodes', { catalog: { id: 'webapp', version: '1', source: 'user', installedAt: now } });
  });
  afterAll(() => state?.close());

  const unchanged = async (fn: () => Promise<unknown>) => {
    const before = await dumpRows(state.ctx.store.db);
    const e = await refusal(fn());
    expect(await dumpRows(state.ctx.store.db)).toEqual(before);
    return e;
  };

  it('a host entry without an uninstall script is refused with a clear error; its record stays', async () => {
    const e = await unchanged(() =>
      prepareCatalogUninstall(state.ctx, 'hostcodes', { server: 's1', kind: 'host', catalogDirs }),
    );
    expect([e.code, e.message]).toEqual([
      'UNSUPPORTED',
      'hostcodes 1 has no uninstall script: infrakt cannot remove it',
    ]);
    expect(e.hint).toContain('by hand');
  });

  it('an unknown name, an app not from the catalog, or a name on another server: NOT_FOUND naming the list', async () => {
    for (const [name, server] of [
      ['nothing-here', undefined],
      ['plain', undefined],
      ['shop', 's2'],
    ] as const) {
      const e = await unchanged(() => prepareCatalogUninstall(state.ctx, name, { server, catalogDirs }));
      expect([name, e.code]).toEqual([name, 'NOT_FOUND']);
      expect(e.hint).toBe('see the names with: infrakt catalog installed');
    }
    const noServer = await unchanged(() => prepareCatalogUninstall(state.ctx, 'shop', { server: 'nope', catalogDirs }));
    expect([noServer.code, noServer.message]).toEqual(['NOT_FOUND', "server 'nope' not found"]);
  });

  it('a name installed on several servers, or as app and host entry, asks to choose', async () => {
    const servers = await unchanged(() => prepareCatalogUninstall(state.ctx, 'hostconf', { catalogDirs }));
    expect([servers.code, servers.message, servers.hint]).toEqual([
      'CONFLICT',
      "'hostconf' is installed more than once: host entry on s1, host entry on s2",
      'pass --server <name> to choose one',
    ]);
    const kinds = await unchanged(() => prepareCatalogUninstall(state.ctx, 'hostcodes', { server: 's1', catalogDirs }));
    expect([kinds.code, kinds.hint]).toEqual(['CONFLICT', 'pass --kind host or --kind compose']);
  });

  it('--volumes is refused for a host entry (its uninstall.sh decides what goes)', async () => {
    const e = await unchanged(() =>
      prepareCatalogUninstall(state.ctx, 'hostconf', { server: 's1', volumes: true, catalogDirs }),
    );
    expect([e.code, e.message]).toEqual(['VALIDATION', '--volumes applies to apps; hostconf is a host entry']);
  });

  it('what is accepted becomes the right job: uninstall.sh for a host entry, a destroy for an app', async () => {
    const host = await prepareCatalogUninstall(state.ctx, 'hostconf', { server: 's2', catalogDirs });
    expect(host.target).toEqual({ name: 'hostconf', entry: 'hostconf', kind: 'host', server: 's2' });
    expect(host.plan.spec).toMatchObject({
      kind: 'catalog.host-uninstall',
      target: 's2/hostconf',
      plannedSteps: ['connect', 'check system', 'upload installer', 'uninstall', 'clean up'],
    });
    const app = await prepareCatalogUninstall(state.ctx, 'shop', { catalogDirs });
    expect(app.target).toEqual({ name: 'shop', entry: 'webapp', kind: 'compose', server: 's1' });
    expect(app.plan.spec.kind).toBe('app.destroy');
    const byKind = await prepareCatalogUninstall(state.ctx, 'hostcodes', { server: 's1', kind: 'compose' });
    expect(byKind.plan.spec.kind).toBe('app.destroy');
  });
});

describe('built-in host entries', () => {
  it('every one ships an uninstall script, loaded with the entry', () => {
    const cat = loadCatalog([{ path: builtinCatalogDir(), source: 'builtin' }]);
    const hosts = cat.entries.filter((e) => e.manifest.kind === 'host');
    expect(hosts.length).toBeGreaterThanOrEqual(5);
    for (const e of hosts) expect([e.manifest.id, hostScripts(e).uninstall]).toEqual([e.manifest.id, 'uninstall.sh']);
  });

  it('catalog show / the API say whether an entry can be removed', () => {
    const cat = openCatalog({ catalogDirs });
    const removable = (id: string) => entryDetail(cat, findEntry(cat, id)).removable;
    expect(['node-exporter', 'swapfile', 'hostconf', 'webapp', 'hostcodes'].map(removable)).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('catalog validate: a declared uninstall script must exist', () => {
  it('names the manifest field and the missing file; the entry is not loaded', () => {
    const dir = tempDir('ikt-test-uninstall-validate-');
    try {
      const entry = (id: string, extra: string) => {
        mkdirSync(join(dir, id));
        writeFileSync(
          join(dir, id, 'manifest.yml'),
          `id: ${id}\nname: T\nversion: "1"\ndescription: d\ncategory: testing\nicon: T\nwebsite: https://t.invalid\nkind: host\nos: [{ id: debian }]\n${extra}`,
        );
        writeFileSync(join(dir, id, 'install.sh'), '#!/usr/bin/env bash\nexit 0\n');
      };
      entry('declared', 'uninstall_script: remove.sh\n');
      entry('optional', '');
      const cat = openCatalogDir(dir);
      expect(cat.problems).toEqual([
        {
          where: `${dir}/declared/manifest.yml: uninstall_script`,
          message: `missing ${dir}/declared/remove.sh`,
        },
      ]);
      // Without a declaration the script is optional: the entry loads and has no way to be removed.
      expect(cat.entries.map((e) => [e.manifest.id, hostScripts(e).uninstall])).toEqual([['optional', null]]);
    } finally {
      removeDir(dir);
    }
  });
});
