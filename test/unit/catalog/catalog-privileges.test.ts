// A catalog app whose compose file needs privileged options (the Docker socket, host namespaces): an admin's
// install or upgrade records exactly the classes it needs as the app's allowance (shown by `app show` like a
// hand-set one, audited), so a deployer's later rollback passes the check; anyone below admin is refused before a
// job or an app exists; `infrakt apply` of a `catalog:` entry records the same. Over a recording executor (the
// deploy's commands), a real SQLite store and the real job runner. The built-in entries are the real catalog; the
// upgrade uses entries written to a temp catalog folder.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobRunner, type JobRunner } from '../../../src/adapters/jobs/runner.js';
import { appSettingsView } from '../../../src/services/apps/app-settings-view.js';
import { resolveApp } from '../../../src/services/apps/apps.js';
import { prepareDeploy } from '../../../src/services/apps/deploy/deploy-app.js';
import { allowedPrivileges, neededPrivileges, setAppPrivileges } from '../../../src/services/apps/privileges.js';
import { prepareRollback } from '../../../src/services/apps/rollback.js';
import { listAudit } from '../../../src/services/audit/audit-log.js';
import { prepareCatalogInstall } from '../../../src/services/catalog/install.js';
import { prepareCatalogUpgrade } from '../../../src/services/catalog/upgrade.js';
import { applyInventory } from '../../../src/services/inventory/apply.js';
import { planInventory } from '../../../src/services/inventory/plan.js';
import { registerServer } from '../../../src/services/servers/servers.js';
import type { Ctx } from '../../../src/services/shared/context.js';
import { runPlan } from '../../../src/services/shared/job-plan.js';
import { RecordingExecutor } from '../../harness/recording-executor.js';
import { deployer, ssAllBut } from '../../helpers/deploy-fixtures.js';
import { openTestState, type TestState, tempDir } from '../../helpers/state.js';

/** A user catalog entry `sockapp` in versions 1 (plain) and 2 (the Docker socket mounted). */
function writeSockApp(dir: string) {
  const manifest = (v: string) =>
    [
      'id: sockapp',
      'name: Socket app',
      `version: "${v}"`,
      'description: A test entry whose version 2 mounts the Docker socket.',
      'category: testing',
      'icon: "🧪"',
      'website: https://infrakt.invalid',
      'kind: compose',
      ...(v === '2' ? ['docker_socket:', '  access: direct', '  reason: the test needs it'] : []),
      'routes:',
      '  - service: web',
      '    port: 3000',
      'timeout_seconds: 60',
      '',
    ].join('\n');
  const compose = (v: string) =>
    `services:\n  web:\n    image: infrakt-test/web:${v}\n    expose: ["3000"]\n${
      v === '2' ? '    volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"]\n' : ''
    }`;
  for (const v of ['1', '2']) {
    mkdirSync(join(dir, `sockapp@${v}`), { recursive: true });
    writeFileSync(join(dir, `sockapp@${v}`, 'manifest.yml'), manifest(v));
    writeFileSync(join(dir, `sockapp@${v}`, 'docker-compose.yml'), compose(v));
  }
}

describe('catalog installs and the privileged-compose allowance (recording executor, real store and jobs)', () => {
  let state: TestState;
  let jobs: JobRunner;
  let ex: RecordingExecutor;
  let ctx: Ctx;
  let catalogDir: string;
  const asDeployer = () => ({ ...ctx, principal: deployer });
  const appRow = async (name: string) => (await resolveApp(ctx, name)).app;
  const install = (c: Ctx, entry: string, extra: { name?: string; version?: string } = {}) =>
    prepareCatalogInstall(c, { entry, server: 'box', catalogDirs: [catalogDir], ...extra });

  beforeEach(async () => {
    state = openTestState();
    jobs = createJobRunner({ store: state.ctx.store, clock: { now: () => new Date() }, actor: 'tester' });
    ex = new RecordingExecutor();
    ex.on('version --short', { stdout: 'v2\n' })
      .on('docker image inspect --format', { stdout: 'sha256:abc|\n' })
      .on('ss -Htan', { stdout: ssAllBut(24242, 24243, 24244, 24245, 24246, 24247) });
    ctx = { ...state.ctx, jobs, connect: async () => ex };
    catalogDir = tempDir();
    writeSockApp(catalogDir);
    await registerServer(ctx, { name: 'box', host: '127.0.0.1', root: '/srv/ikt' });
  });

  afterEach(async () => {
    jobs.close();
    await state.close();
    rmSync(catalogDir, { recursive: true, force: true });
  });

  it('the built-in entries that reach the Docker socket need exactly their classes; the others none', async () => {
    const { openCatalog } = await import('../../../src/services/catalog/catalog-index.js');
    const needs = Object.fromEntries(
      openCatalog({})
        .entries.filter((e) => e.manifest.kind === 'compose' && e.template)
        .map((e) => [e.manifest.id, neededPrivileges(e.template!).join(',')])
        .filter(([, n]) => n !== ''),
    );
    expect(needs).toEqual({
      dozzle: 'docker_socket',
      glances: 'host_namespaces,docker_socket',
      portainer: 'docker_socket',
      'socket-proxy': 'docker_socket',
      watchtower: 'docker_socket',
    });
  });

  it("an admin's install allows exactly what the compose file needs, shown by app show and audited", async () => {
    const r = await runPlan(ctx, await install(ctx, 'glances'));
    expect(r).toMatchObject({ kind: 'compose', app: 'glances', release: 1 });
    const app = await appRow('glances');
    expect(await allowedPrivileges(ctx, app.id)).toEqual(['host_namespaces', 'docker_socket']);
    const server = (await resolveApp(ctx, 'glances')).server;
    expect((await appSettingsView(ctx, app, server)).privileges).toEqual(['host_namespaces', 'docker_socket']);
    const audit = (await listAudit(ctx, {})).filter((a) => a.action === 'app.privileges');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ target: 'box/glances' });
    expect(JSON.stringify(audit[0])).toContain('catalog glances');
    // The job says what it allowed.
    const job = (await jobs.list({})).find((j) => j.kind === 'catalog.install')!;
    const step = (await jobs.get(job.id)).steps.find((s) => s.name === 'register app');
    expect(step?.detail).toContain('allowed host_namespaces, docker_socket');

    // A plain entry gets no allowance (nothing broader than needed).
    await runPlan(ctx, await install(ctx, 'sockapp', { name: 'plain', version: '1' }));
    expect(await allowedPrivileges(ctx, (await appRow('plain')).id)).toEqual([]);
  });

  it("a deployer's rollback of an admin-installed socket app passes the check", async () => {
    await runPlan(ctx, await install(ctx, 'socket-proxy'));
    await runPlan(ctx, await prepareDeploy(ctx, 'socket-proxy'));
    expect(ex.files.get('/srv/ikt/apps/socket-proxy/releases/1/source.yml')).toContain('docker.sock');
    const back = await runPlan(asDeployer(), await prepareRollback(asDeployer(), 'socket-proxy', { to: 1 }));
    expect(back).toMatchObject({ action: 'rollback', release: 3 });
    // Without the allowance (an admin revokes it) the same rollback is refused: the allowance is what let it pass.
    await setAppPrivileges(ctx, 'socket-proxy', []);
    const err = await runPlan(asDeployer(), await prepareRollback(asDeployer(), 'socket-proxy', { to: 1 })).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('below admin: refused before a job or an app exists, naming the field; a plain entry installs', async () => {
    const jobsBefore = (await jobs.list({})).length;
    const auditBefore = (await listAudit(ctx, {})).length;
    const err = await install(asDeployer(), 'dozzle').catch((e) => e);
    expect(err).toMatchObject({ code: 'FORBIDDEN' });
    expect(err.message).toBe(
      'token ci may not install dozzle as dozzle: its compose file sets services.socket-proxy.volumes[0] (/var/run/docker.sock), which gives root on the server',
    );
    expect(err.hint).toBe('an admin installs it, which allows docker_socket for the app');
    expect((await jobs.list({})).length).toBe(jobsBefore);
    expect((await listAudit(ctx, {})).length).toBe(auditBefore);
    expect(await ctx.store.db.selectFrom('apps').select('name').execute()).toEqual([]);
    expect(await ctx.store.db.selectFrom('app_privileges').selectAll().execute()).toEqual([]);
    expect(ex.commands).toEqual([]);
    const plain = await runPlan(asDeployer(), await install(asDeployer(), 'sockapp', { version: '1' }));
    expect(plain).toMatchObject({ app: 'sockapp', release: 1 });
  });

  it("an admin's upgrade adds the new version's classes to what the app had; below admin it is refused", async () => {
    await runPlan(ctx, await install(ctx, 'sockapp', { version: '1' }));
    const id = (await appRow('sockapp')).id;
    await setAppPrivileges(ctx, 'sockapp', ['cap_add']);
    const err = await prepareCatalogUpgrade(asDeployer(), 'sockapp', { to: '2', catalogDirs: [catalogDir] }).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'FORBIDDEN' });
    expect(await allowedPrivileges(ctx, id)).toEqual(['cap_add']);
    const up = await runPlan(ctx, await prepareCatalogUpgrade(ctx, 'sockapp', { to: '2', catalogDirs: [catalogDir] }));
    expect(up).toMatchObject({ from: '1', to: '2', release: 2 });
    expect(await allowedPrivileges(ctx, id)).toEqual(['cap_add', 'docker_socket']);
  });

  it('infrakt apply of a catalog entry does what the CLI install does: the allowance is recorded', async () => {
    const file = join(catalogDir, 'infrakt.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'servers:',
        '  box: { host: 127.0.0.1, root: /srv/ikt }',
        'catalog:',
        '  sock:',
        '    server: box',
        '    entry: sockapp',
        '    version: "2"',
        '',
      ].join('\n'),
    );
    const plan = await planInventory(ctx, file, { live: false, catalogDirs: [catalogDir] });
    expect(plan.plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual(['create catalog sock']);
    const report = await applyInventory(ctx, plan);
    expect([report.done, report.failed]).toEqual([1, 0]);
    expect(await allowedPrivileges(ctx, (await appRow('sock')).id)).toEqual(['docker_socket']);
  });

  it('a failed upgrade puts the allowance back as it was', async () => {
    await runPlan(ctx, await install(ctx, 'sockapp', { version: '1' }));
    const id = (await appRow('sockapp')).id;
    // The new release never becomes healthy: compose up of release 2 fails.
    ex.on(/releases\/2.* up /, { exitCode: 1, stderr: 'boom' });
    const err = await runPlan(
      ctx,
      await prepareCatalogUpgrade(ctx, 'sockapp', { to: '2', catalogDirs: [catalogDir] }),
    ).catch((e) => e);
    expect(err.message).toContain('rolled back');
    // It was allowed for the attempt, then taken back with the rest of the record.
    const job = await jobs.get(err.details.jobId);
    expect(job.steps.find((s) => s.name === 'apply new version')?.detail).toContain('allowed docker_socket');
    expect(await allowedPrivileges(ctx, id)).toEqual([]);
  });
});
