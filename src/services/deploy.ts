import type { AppRow, ServerRow } from '../adapters/store/schema.js';
import { and } from '../core/cmd/index.js';
import type { ComposeFlavour } from '../core/commands/compose.js';
import * as compose from '../core/commands/compose.js';
import * as docker from '../core/commands/docker.js';
import * as fs from '../core/commands/fs.js';
import * as git from '../core/commands/git.js';
import { InfraktError, toInfraktError } from '../core/errors.js';
import { commandFailed, type Executor, runChecked, tail } from '../core/executor.js';
import { type DeployAction, type DeployStep, deployPlan, releaseTarget, servicesTarget } from '../core/plans/deploy.js';
import { appLayout, builtImage, releaseProject, releasesToPrune, servicesProject } from '../core/plans/layout.js';
import { portTaken } from '../core/plans/release-ports.js';
import { Secret, scrub } from '../core/secret.js';
import { appLockName, lockOnServer } from './app-remote-lock.js';
import { assertGitSource, resolveApp } from './apps.js';
import { audit } from './audit.js';
import type { Ctx } from './context.js';
import { nowIso } from './context.js';
import { decryptedEnv } from './env.js';
import { waitHealthy } from './health-check.js';
import type { JobPlan } from './job-plan.js';
import type { JobContext } from './jobs-types.js';
import { pullPolicy } from './proxy.js';
import { applyProxyConfig } from './proxy-config.js';
import { chooseReleasePort } from './release-port.js';
import {
  appSettings,
  composeRelease,
  gitSource,
  imageSource,
  type PreparedRelease,
  reuseSource,
  type SourceCtx,
} from './release-source.js';
import { appLock, detectFlavour, finishDeployment, type releaseDetails, startDeployment } from './releases.js';

export interface DeployOptions {
  server?: string;
  /** Wait for a deploy already running on this app instead of failing with LOCKED. */
  wait?: boolean;
}

export interface DeployResult {
  app: string;
  server: string;
  action: DeployAction;
  release: number;
  deploymentId: number;
  hostPort: number;
  sourceRef: string;
  /** From the start of the job to the new release serving (after the proxy switch). */
  msToServing: number;
}

const LOCK_WAIT_MS = 15 * 60_000;

interface ReleaseRequest {
  action: DeployAction;
  /** Rollback / env push: the kept release whose source is reused. */
  from?: { release: number; details: ReturnType<typeof releaseDetails>; sourceRef: string };
}

/** Validates what can be checked locally (nothing runs remotely before this passes). */
function checkDeployable(app: AppRow): void {
  if (app.app_type.startsWith('db:')) {
    throw new InfraktError('UNSUPPORTED', `'${app.name}' is a database`, {
      hint: 'databases are managed with infrakt db',
    });
  }
  if (app.app_type === 'compose') {
    const s = appSettings(app);
    if (!s.compose) {
      throw new InfraktError('VALIDATION', `compose app '${app.name}' has no compose file`, {
        hint: `give it one: infrakt app update ${app.name} --compose-file <path>`,
      });
    }
  }
}

export function releasePlanSpec(
  app: AppRow,
  server: ServerRow,
  kind: string,
  params: Record<string, unknown>,
  wait?: boolean,
) {
  return {
    kind,
    target: `${server.name}/${app.name}`,
    serverId: server.id,
    appId: app.id,
    params,
    locks: [appLock(app.id)],
    ...(wait ? { waitForLocksMs: LOCK_WAIT_MS } : {}),
  };
}

export async function prepareDeploy(ctx: Ctx, name: string, opts: DeployOptions = {}): Promise<JobPlan<DeployResult>> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  checkDeployable(app);
  if (app.app_type === 'compose') composeRelease(dryCtx(app, server), appSettings(app).compose!.content, {});
  const plan = deployPlan(planInput(app, server, 0, 'deploy'));
  return {
    spec: {
      ...releasePlanSpec(app, server, 'app.deploy', { app: app.name }, opts.wait),
      plannedSteps: ['connect', ...plan.map((s) => s.name)],
    },
    body: (job) => runRelease(ctx, job, app.id, { action: 'deploy' }),
  };
}

// For validating a compose file before any job runs: parsing/splitting is pure.
const dryCtx = (app: AppRow, server: ServerRow): SourceCtx => ({
  ex: undefined as unknown as Executor,
  app,
  root: server.root_dir,
  release: 0,
  flavour: 'v2',
  log: () => {},
});

function planInput(app: AppRow, server: ServerRow, release: number, action: DeployAction) {
  const source =
    app.app_type === 'image'
      ? { type: 'image' as const, image: app.image ?? '' }
      : app.app_type === 'git'
        ? { type: 'git' as const, repo: app.git_repo ?? '', branch: app.branch ?? 'main' }
        : { type: 'compose' as const, content: appSettings(app).compose?.content ?? '' };
  return { app: app.name, root: server.root_dir, release, port: app.port, source, action, domain: app.domain };
}

/** Runs one deploy-like job: every step of `deployPlan`, over one connection, with compensation on failure. */
export async function runRelease(ctx: Ctx, job: JobContext, appId: number, req: ReleaseRequest): Promise<DeployResult> {
  const t0 = Date.now();
  const row = await ctx.store.db.selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirst();
  if (!row) throw new InfraktError('NOT_FOUND', 'the app was removed before its deploy started');
  const { app, server } = await resolveApp(
    ctx,
    row.name,
    (await ctx.store.db.selectFrom('servers').select('name').where('id', '=', row.server_id).executeTakeFirstOrThrow())
      .name,
  );
  const env = await decryptedEnv(ctx, app);
  job.addSecrets(...env.values());
  const l = appLayout(server.root_dir, app.name);
  const ex = await job.step('connect', async (s) => {
    const e = await ctx.connect(server, { signal: job.signal });
    s.detail(e.target);
    return e;
  });
  let releaseLock: (() => Promise<void>) | null = null;
  let deploymentId: number | null = null;
  let compensations: DeployStep['compensate'][] = [];
  let switched = false;
  try {
    const dep = await startDeployment(ctx, app, req.action, job.id);
    deploymentId = dep.id;
    const release = dep.release;
    const plan = deployPlan(planInput(app, server, release, req.action));
    let flavour: ComposeFlavour = 'v2';
    const before: { projects: string[]; releases: number[] } = { projects: [], releases: [] };
    const sctx: SourceCtx = {
      ex,
      app,
      root: server.root_dir,
      release,
      flavour,
      pull: pullPolicy(server),
      log: (m) => job.log(m),
      env: new Map([...env].map(([k, v]) => [k, v.reveal()])),
    };
    let prepared: PreparedRelease | null = null;
    let hostPort = 0;
    let msToServing = 0;
    const opts = { signal: job.signal };
    for (const step of plan) {
      if (step.skippedBecause && step.kind !== 'source') {
        job.skip(step.name, step.skippedBecause);
        continue;
      }
      await job.step(step.name, async (s) => {
        switch (step.kind) {
          case 'prepare': {
            // Independent round trips side by side: server lock, compose flavour, directories.
            const [unlock, f] = await Promise.all([
              lockOnServer(ctx, ex, {
                root: server.root_dir,
                name: appLockName(app.name),
                server: server.name,
                jobId: job.id,
                signal: job.signal,
              }),
              detectFlavour(ex),
              // What runs and what is kept now: the releases to retire and prune once the new one serves.
              appProjects(ex, server, app).then((p) => {
                before.projects = p;
              }),
              ex.run(fs.listDir(l.releasesDir)).then((r) => {
                before.releases = r.stdout
                  .split('\n')
                  .filter((n) => /^\d+$/.test(n))
                  .map(Number);
              }),
              // The release's fixed loopback port (survives a Docker restart), rendered into its compose file.
              chooseReleasePort(ctx, ex, server).then((p) => {
                hostPort = p;
                sctx.hostPort = p;
              }),
              ...(step.cmds ?? []).map((c) => runChecked(ex, c, { ...opts, what: step.name })),
            ]);
            releaseLock = unlock as () => Promise<void>;
            flavour = f as ComposeFlavour;
            sctx.flavour = flavour;
            s.detail(
              `${appLockName(app.name)} held; ${flavour === 'v2' ? 'docker compose (v2)' : 'docker-compose (v1)'}`,
            );
            return;
          }
          case 'source':
            prepared = await source(ctx, sctx, req, step, s.detail.bind(s));
            s.detail(prepared.sourceRef);
            return;
          case 'write': {
            const p = prepared!;
            // The variables are in the compose files (see compose-env.ts): file content over SFTP/stdin, 0600,
            // never on a command line.
            await Promise.all([
              ex.put(l.releaseFile(release), new Secret(p.releaseFile), { mode: 0o600 }),
              ...(p.sourceYaml !== undefined
                ? [ex.put(`${l.releaseDir(release)}/source.yml`, p.sourceYaml, { mode: 0o644 })]
                : []),
              ...(p.servicesFile !== null && req.action === 'deploy'
                ? [ex.put(l.servicesFile, new Secret(p.servicesFile), { mode: 0o600 })]
                : []),
            ]);
            s.detail(`${env.size} variable(s), release ${release}`);
            return;
          }
          case 'build':
            return;
          case 'services': {
            const p = prepared!;
            if (p.servicesFile === null || req.action !== 'deploy') {
              s.unchanged(p.servicesFile === null ? 'no other services' : 'kept as they are');
              if (p.composeBuild && req.action === 'deploy')
                await runChecked(
                  ex,
                  compose.build(releaseTarget({ app: app.name, root: server.root_dir, release, flavour })),
                  { ...opts, what: 'compose build' },
                );
              return;
            }
            const t = servicesTarget({ app: app.name, root: server.root_dir, flavour });
            if (p.composeBuild) await runChecked(ex, compose.build(t), { ...opts, what: 'compose build (services)' });
            if (p.composeBuild)
              await runChecked(
                ex,
                compose.build(releaseTarget({ app: app.name, root: server.root_dir, release, flavour })),
                { ...opts, what: 'compose build' },
              );
            await runChecked(ex, compose.up(t), { ...opts, what: 'compose up (services)' });
            return;
          }
          case 'start': {
            compensations = [step.compensate];
            const t = releaseTarget({ app: app.name, root: server.root_dir, release, flavour });
            const up = compose.up(t);
            let r = await ex.run(up, opts);
            if (r.exitCode !== 0 && portTaken(r.stdout + r.stderr)) {
              // Something took the port between its choice and the start: once more on another one.
              const taken = hostPort;
              hostPort = await chooseReleasePort(ctx, ex, server, [taken]);
              s.log(`127.0.0.1:${taken} was taken meanwhile: starting on 127.0.0.1:${hostPort}`);
              await ex.put(l.releaseFile(release), new Secret(prepared!.renderRelease(hostPort)), { mode: 0o600 });
              r = await ex.run(up, opts);
            } else if (r.exitCode !== 0) {
              // `up` can fail while a container is still being restarted: ask once more.
              r = await ex.run(up, opts);
            }
            if (r.exitCode !== 0) throw commandFailed(ex.target, up, r, 'compose up (new release)');
            s.detail(`127.0.0.1:${hostPort}`);
            return;
          }
          case 'health': {
            const settings = appSettings(app);
            const r = await waitHealthy(ex, {
              port: hostPort,
              health: settings.health,
              project: releaseProject(app.name, release),
              signal: job.signal,
              log: (m) => s.log(m),
            });
            s.detail(`HTTP ${r.status} on ${settings.health.path} after ${r.attempts} probe(s), ${r.ms} ms`);
            return;
          }
          case 'switch': {
            await switchRoute(ctx, ex, server, app, hostPort, job.id, (m) => s.log(m));
            switched = true;
            msToServing = Date.now() - t0;
            s.detail(`${app.domain} → 127.0.0.1:${hostPort}`);
            return;
          }
          case 'retire': {
            if (!app.domain) msToServing = Date.now() - t0;
            switched = true;
            // Traffic is on the new release: failures here are reported, never undone (the next deploy retries).
            const [retired, pruned] = await Promise.all([
              retireOthers(
                ex,
                app,
                before.projects,
                releaseProject(app.name, release),
                appSettings(app).drainMs ?? 250,
                job.signal,
              ).catch((e) => {
                s.log(`could not stop the previous release: ${toInfraktError(e).message}`, 'stderr');
                return [] as string[];
              }),
              pruneReleases(ex, server, app, [...before.releases, release], release).catch((e) => {
                s.log(`could not prune old releases: ${toInfraktError(e).message}`, 'stderr');
                return [] as number[];
              }),
            ]);
            const what = [
              ...(retired.length ? [`stopped ${retired.join(', ')}`] : []),
              ...(pruned.length ? [`pruned release(s) ${pruned.join(', ')}`] : []),
            ];
            if (what.length === 0) s.unchanged('no previous release running, nothing to prune');
            else s.detail(what.join('; '));
            return;
          }
          case 'record':
            await finishDeployment(ctx, deploymentId!, app, {
              status: 'succeeded',
              release,
              hostPort,
              sourceRef: prepared!.sourceRef,
              details: prepared!.details,
            });
            return;
        }
      });
    }
    await audit(ctx, `app.${req.action}`, `${server.name}/${app.name}`, { release });
    return {
      app: app.name,
      server: server.name,
      action: req.action,
      release,
      deploymentId: deploymentId!,
      hostPort,
      sourceRef: prepared!.sourceRef,
      msToServing,
    };
  } catch (e) {
    const err = toInfraktError(e);
    const secrets = [...env.values()];
    let logs = '';
    if (!switched && compensations.length > 0 && deploymentId !== null) {
      const dep = await ctx.store.db
        .selectFrom('deployments')
        .select('release')
        .where('id', '=', deploymentId)
        .executeTakeFirst();
      if (dep) {
        const project = releaseProject(app.name, dep.release);
        // The app may print its own variables: scrub them before they reach the record or the error.
        logs = scrub(
          tail((await ex.run(docker.projectLogs(project, 30)).catch(() => ({ stdout: '' }))).stdout, 30),
          secrets,
        );
        for (const c of compensations.flat()) if (c) await ex.run(c).catch(() => undefined);
        if (logs) for (const line of logs.split('\n')) job.log(`[${project}] ${line}`, 'stderr');
        job.log(`removed the new release ${project}; the previous release keeps serving`);
      }
    }
    if (deploymentId !== null) {
      // After the switch the new release serves: say so rather than pretend the old one does.
      const error = `${switched ? 'switched to the new release, then: ' : ''}${scrub(err.message, secrets)}`;
      await finishDeployment(ctx, deploymentId, app, { status: 'failed', error, logs, keepServing: true });
    }
    if (logs)
      throw new InfraktError(err.code, err.message, {
        hint: err.hint ?? 'the previous release keeps serving',
        details: { ...err.details, containerLogs: logs },
      });
    throw err;
  } finally {
    if (releaseLock) await (releaseLock as () => Promise<void>)().catch(() => undefined);
    await ex.close();
  }
}

async function source(
  ctx: Ctx,
  s: SourceCtx,
  req: ReleaseRequest,
  step: DeployStep,
  _detail: (t: string) => void,
): Promise<PreparedRelease> {
  if (req.from) return reuseSource(s, req.from.release, req.from.details, req.from.sourceRef);
  if (s.app.app_type === 'image') return imageSource(s, s.app.image!);
  if (s.app.app_type === 'git') {
    const [sync, head] = step.cmds ?? [];
    // Checked again right before the fetch (the name may resolve elsewhere now), and the fetch is pinned to
    // the addresses this check accepted: git must not resolve the name again on the server (DNS rebinding).
    const repo = s.app.git_repo ?? '';
    const checked = repo.startsWith('/') ? null : await assertGitSource(ctx, repo);
    const fetch = checked
      ? git.syncBranch(checked.url, s.app.branch ?? 'main', appLayout(s.root, s.app.name).srcDir, checked)
      : sync!;
    await runChecked(s.ex, fetch, { what: 'git fetch' });
    const commit = (await runChecked(s.ex, head!, { what: 'git rev-parse' })).stdout.trim();
    return gitSource(s, commit);
  }
  const { content } = appSettings(s.app).compose!;
  return composeRelease(s, content, {});
}

/** Points the app's domain at the new release: store first, then the whole config; a failure restores both. */
async function switchRoute(
  ctx: Ctx,
  ex: Executor,
  server: ServerRow,
  app: AppRow,
  port: number,
  jobId: string,
  log: (l: string) => void,
) {
  const domain = app.domain!;
  const before = await ctx.store.db
    .selectFrom('proxy_routes')
    .selectAll()
    .where('server_id', '=', server.id)
    .where('domain', '=', domain)
    .executeTakeFirst();
  if (before && before.app_id !== null && before.app_id !== app.id)
    throw new InfraktError('CONFLICT', `${domain} is routed to another app`, {
      hint: 'give this app another domain, or destroy the app that has it',
    });
  if (before)
    await ctx.store.db
      .updateTable('proxy_routes')
      .set({ upstream_port: port, app_id: app.id })
      .where('id', '=', before.id)
      .execute();
  else
    await ctx.store.db
      .insertInto('proxy_routes')
      .values({ server_id: server.id, domain, upstream_port: port, app_id: app.id, created_at: nowIso(ctx) })
      .execute();
  try {
    await applyProxyConfig(ctx, ex, server, { log, jobId, expectChange: true });
  } catch (e) {
    if (before)
      await ctx.store.db
        .updateTable('proxy_routes')
        .set({ upstream_port: before.upstream_port, app_id: before.app_id })
        .where('id', '=', before.id)
        .execute();
    else
      await ctx.store.db
        .deleteFrom('proxy_routes')
        .where('server_id', '=', server.id)
        .where('domain', '=', domain)
        .execute();
    throw e;
  }
}

/** Every release project of the app on the server (also ones left by killed deploys), from container labels. */
export async function appProjects(ex: Executor, server: ServerRow, app: Pick<AppRow, 'name'>): Promise<string[]> {
  const r = await runChecked(
    ex,
    docker.projectsByLabels({ [docker.LABEL_APP]: app.name, [docker.LABEL_ROOT]: server.root_dir }),
    { what: 'list releases' },
  );
  return [
    ...new Set(
      r.stdout
        .split('\n')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
}

async function retireOthers(
  ex: Executor,
  app: AppRow,
  projects: readonly string[],
  keep: string,
  drainMs: number,
  signal: AbortSignal,
): Promise<string[]> {
  const others = projects.filter((p) => p !== keep && p !== servicesProject(app.name));
  if (others.length === 0) return [];
  // In-flight requests on the previous upstream finish before its containers get SIGTERM.
  if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
  await Promise.all(others.map((p) => runChecked(ex, docker.removeProject(p), { signal, what: `stop ${p}` })));
  return others;
}

async function pruneReleases(
  ex: Executor,
  server: ServerRow,
  app: AppRow,
  present: readonly number[],
  current: number,
): Promise<number[]> {
  const l = appLayout(server.root_dir, app.name);
  const prune = releasesToPrune(present, [current]);
  await Promise.all(
    prune.map((n) =>
      runChecked(ex, and(fs.rmrf(l.releaseDir(n)), docker.rmi(builtImage(app.name, n))), {
        what: `remove release ${n}`,
      }),
    ),
  );
  return prune;
}
