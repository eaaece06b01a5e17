import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraktError } from '../../../src/core/errors.js';
import type { CatalogInstallResult } from '../../../src/services/catalog/install-compose.js';
import { prepareStackInstall, runStack } from '../../../src/services/catalog/stacks.js';
import { REPO_ROOT } from '../../harness/cli.js';
import { openTestState, type TestState } from '../../helpers/state.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'catalog');

describe('catalog stacks', () => {
  let state: TestState;
  beforeAll(async () => {
    state = openTestState();
    const now = new Date().toISOString();
    await state.ctx.store.db
      .insertInto('servers')
      .values({
        name: 's1',
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
      .execute();
  });
  afterAll(() => state.close());

  it('validates every entry first: shared inputs are required once, for all', async () => {
    await expect(prepareStackInstall(state.ctx, 'pair', { server: 's1', catalogDirs: [FIXTURES] })).rejects.toThrow(
      /invalid input greeting: is required/,
    );
    await expect(prepareStackInstall(state.ctx, 'nope', { server: 's1', catalogDirs: [FIXTURES] })).rejects.toThrow(
      /stack 'nope' not found/,
    );
  });

  it('prepares the entries in order, with shared values, templated domains and a name prefix', async () => {
    const members = await prepareStackInstall(state.ctx, 'pair', {
      server: 's1',
      values: { greeting: 'hey', base_domain: 'example.com' },
      prefix: 'st-',
      catalogDirs: [FIXTURES],
    });
    expect(members.map((m) => [m.entry, m.name, m.plan?.spec.kind])).toEqual([
      ['webapp', 'st-first', 'catalog.install'],
      ['webapp', 'st-second', 'catalog.install'],
      ['hostcodes', 'st-hostcodes', 'catalog.host-install'],
    ]);
    expect(members[0]!.plan!.spec.params).toMatchObject({ app: 'st-first', domain: 'one.example.com' });
    expect(members[1]!.plan!.spec.params).not.toHaveProperty('domain');
    expect(members[2]!.plan!.spec.params).toMatchObject({ values: { mode: 'ok', marker: 'hey' } });
    // Without the base domain, the templated domain is left out rather than half-filled.
    const bare = await prepareStackInstall(state.ctx, 'pair', {
      server: 's1',
      values: { greeting: 'hey' },
      catalogDirs: [FIXTURES],
    });
    expect(bare[0]!.plan!.spec.params).not.toHaveProperty('domain');
  });

  it('runs in order and stops at the first failure, reporting every entry', async () => {
    const members = await prepareStackInstall(state.ctx, 'pair', {
      server: 's1',
      values: { greeting: 'hey' },
      catalogDirs: [FIXTURES],
    });
    const ran: string[] = [];
    const report = await runStack(members, async (m) => {
      ran.push(m.name);
      if (m.name === 'second')
        throw new InfraktError('HEALTH_CHECK_FAILED', 'not healthy', { details: { jobId: 'j_2' } });
      return { jobId: 'j_1', result: { outcome: 'installed' } as CatalogInstallResult };
    });
    expect(ran).toEqual(['first', 'second']);
    expect(report.ok).toBe(false);
    expect(report.lines.map((l) => [l.name, l.status, l.jobId])).toEqual([
      ['first', 'installed', 'j_1'],
      ['second', 'failed', 'j_2'],
      ['hostcodes', 'not attempted', undefined],
    ]);
    expect(report.error?.code).toBe('HEALTH_CHECK_FAILED');
  });
});
