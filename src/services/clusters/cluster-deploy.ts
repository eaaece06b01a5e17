import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { mkdirp } from '../../core/commands/fs.js';
import * as swarm from '../../core/commands/swarm.js';
import { InfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import { parseComposeFile } from '../../core/plans/deploy-compose.js';
import type { ClusterDeployResult } from '../../core/schemas/views/clusters.js';
import type { Secret } from '../../core/secret.js';
import { renderComposeStack } from '../../core/swarm/compose-stack.js';
import { renderAppStack, serviceOf, stackOf } from '../../core/swarm/stack.js';
import { decryptedEnv } from '../apps/env.js';
import { appSettings } from '../apps/release-source.js';
import { audit } from '../shared/audit.js';
import { type Ctx, nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import type { clusterAppOf } from './cluster-apps.js';
import { type ClusterLocalImage, nodeLocalTag, sendImageToNodes } from './cluster-local-image.js';
import type { ClusterRecord } from './clusters.js';
import { followConvergence } from './converge.js';
import { clusterDir, deployEdge, withManager } from './manager-session.js';

type ClusterApp = NonNullable<Awaited<ReturnType<typeof clusterAppOf>>>;

/** Images under a loopback registry name are expected on every node already: no registry lookup from the manager. */
export const isNodeLocalImage = (image: string): boolean => /^(127\.0\.0\.1|localhost)(:\d+)?\//.test(image);

const convergeTimeout = (app: AppRow, replicas: number) =>
  Math.min(30 * 60_000, Math.max(180_000, appSettings(app).health.timeoutMs * Math.max(1, replicas)));

/** Reads the service's rollout marker before a change (null when the service does not exist yet). */
async function rolloutMarker(ex: Executor, service: string): Promise<{ exists: boolean; before: string | null }> {
  const r = await ex.run(swarm.serviceState(service));
  if (r.exitCode !== 0) return { exists: false, before: null };
  return { exists: true, before: swarm.parseServiceState(r.stdout).updateStartedAt };
}

/**
 * `app deploy` of a cluster app: the stack file rendered (replicas, placement, start-first rolling update with
 * rollback on failure, health check) and written 0600 on a manager, `docker stack deploy`, then convergence
 * followed until every replica of the release runs healthy — or Swarm's rollback reported — and the edge
 * proxy's routes brought up to date.
 */
export function prepareClusterDeploy(
  ctx: Ctx,
  app: AppRow,
  server: ServerRow,
  ca: ClusterApp,
  opts: { wait?: boolean | undefined; localImage?: ClusterLocalImage | undefined },
): JobPlan<ClusterDeployResult> {
  const compose = app.app_type === 'compose';
  if (compose && opts.localImage) {
    throw new InfraktError('UNSUPPORTED', 'a compose app names its images in its compose file: no --local-image', {
      hint: 'name images every node can pull (a registry), or load them on every node beforehand',
    });
  }
  if (!compose && !app.image && !opts.localImage)
    throw new InfraktError('VALIDATION', `cluster app '${app.name}' has no image`);
  const local = opts.localImage ? { ...opts.localImage, tag: nodeLocalTag(app.name, opts.localImage.id) } : undefined;
  return {
    spec: appJobSpec(app, server, 'app.deploy', {
      params: { app: app.name, cluster: ca.settings.cluster, ...(local ? { localImage: local.ref } : {}) },
      steps: [
        'connect to a manager',
        ...(local ? ['send image to nodes'] : []),
        'write stack file',
        'deploy stack',
        'converge',
        'update edge proxy',
      ],
      wait: Boolean(opts.wait),
    }),
    body: (job) =>
      runClusterDeploy(ctx, job, app, ca, {
        action: 'deploy',
        image: compose ? null : (local?.tag ?? app.image!),
        local,
      }),
  };
}

async function runClusterDeploy(
  ctx: Ctx,
  job: JobContext,
  app: AppRow,
  ca: ClusterApp,
  /** image: null for a compose app (its images are in its compose file). */
  o: { action: 'deploy' | 'rollback'; image: string | null; local?: (ClusterLocalImage & { tag: string }) | undefined },
): Promise<ClusterDeployResult> {
  const started = Date.now();
  const env = await decryptedEnv(ctx, app);
  job.addSecrets(...env.values());
  const release = (app.current_release ?? 0) + 1;
  const service = serviceOf(app.name);
  // Rendered before any remote step: a compose file Swarm cannot run fails the job before it changes anything.
  const stack = renderStack(app, ca, release, env, o.image);
  const image = stack.image;
  return withManager(ctx, job, ca.cluster, async (m) => {
    const file = `${clusterDir(m.manager, ca.cluster.row.name)}/apps/${app.name}.yml`;
    const local = o.local;
    if (local)
      await job.step('send image to nodes', (s) => sendImageToNodes(ctx, job, ca.cluster, local, local.tag, s));
    await job.step('write stack file', async (s) => {
      await runChecked(m.ex, mkdirp(`${clusterDir(m.manager, ca.cluster.row.name)}/apps`, 0o700));
      // The env values are in it: readable by root only, like a single-server release's compose file.
      await m.ex.put(file, stack.yaml, { mode: 0o600 });
      s.detail(`${file} (release ${release}, ${ca.settings.replicas} replica(s))`);
    });
    const marker = await job.step('deploy stack', async (s) => {
      const mark = await rolloutMarker(m.ex, service);
      const r = await runChecked(
        m.ex,
        swarm.stackDeploy(file, stackOf(app.name), { registryImage: stack.images.some((i) => !isNodeLocalImage(i)) }),
        {
          what: 'docker stack deploy',
        },
      );
      for (const line of `${r.stdout}\n${r.stderr}`.split('\n').filter(Boolean)) s.log(line);
      s.detail(mark.exists ? `rolling update of ${service}` : `created ${service}`);
      return mark;
    });
    try {
      const done = await job.step('converge', async (s) => {
        const c = await followConvergence(m.ex, s, {
          service,
          replicas: ca.settings.replicas,
          before: marker.before,
          expectUpdate: marker.exists,
          timeoutMs: convergeTimeout(app, ca.settings.replicas),
          signal: job.signal,
        });
        s.detail(`${ca.settings.replicas}/${ca.settings.replicas} healthy`);
        return c;
      });
      await job.step('update edge proxy', (s) => deployEdge(ctx, m, ca.cluster, s));
      await ctx.store.db
        .updateTable('apps')
        .set({ status: 'running', current_release: release, updated_at: nowIso(ctx) })
        .where('id', '=', app.id)
        .execute();
      await ctx.store.db
        .updateTable('cluster_apps')
        .set({ deployed_image: image, previous_image: ca.row.deployed_image })
        .where('app_id', '=', app.id)
        .execute();
      await audit(ctx, `app.${o.action}`, `cluster/${ca.cluster.row.name}/${app.name}`, { release, image });
      return resultOf(
        app,
        ca.cluster,
        o.action,
        release,
        done.state.image,
        ca.settings.replicas,
        done.perNode,
        started,
      );
    } catch (e) {
      // Rolled back by Swarm: the previous release serves and the app stays running; a first deploy failed.
      if (!app.current_release) {
        await ctx.store.db
          .updateTable('apps')
          .set({ status: 'failed', updated_at: nowIso(ctx) })
          .where('id', '=', app.id)
          .execute();
      }
      throw e;
    }
  });
}

/** The stack file of a release: an image app's (image given) or a compose app's (its images in its file). */
function renderStack(
  app: AppRow,
  ca: ClusterApp,
  release: number,
  env: ReadonlyMap<string, Secret>,
  image: string | null,
): { yaml: string; image: string; images: string[] } {
  const common = {
    app: app.name,
    port: app.port,
    replicas: ca.settings.replicas,
    placement: ca.settings.placement,
    maxPerNode: ca.settings.maxPerNode,
    network: ca.cluster.network,
    release,
    healthPath: appSettings(app).health.path,
  };
  const values = new Map([...env].map(([k, v]) => [k, v.reveal()]));
  if (image !== null) {
    return { yaml: renderAppStack({ ...common, image, env: Object.fromEntries(values) }), image, images: [image] };
  }
  const content = appSettings(app).compose?.content;
  if (!content) throw new InfraktError('STATE', `compose app '${app.name}' has no compose file`);
  const s = renderComposeStack({ ...common, doc: parseComposeFile(content), env: values });
  return { yaml: s.yaml, image: s.routedImage, images: s.images };
}

function resultOf(
  app: AppRow,
  cluster: ClusterRecord,
  action: ClusterDeployResult['action'],
  release: number | null,
  image: string,
  replicas: number,
  perNode: Record<string, number>,
  started: number,
): ClusterDeployResult {
  return {
    app: app.name,
    cluster: cluster.row.name,
    action,
    release,
    image,
    replicas,
    perNode,
    msToConverged: Date.now() - started,
  };
}

/**
 * `app rollback` of a cluster app: the previously deployed image rolled out again as a new release, through the
 * same health-gated rolling update as a deploy (not `docker service rollback`: Swarm's previous spec may be a
 * scale or a rolled-back release, not the previous image).
 */
export function prepareClusterRollback(
  ctx: Ctx,
  app: AppRow,
  server: ServerRow,
  ca: ClusterApp,
  opts: { wait?: boolean | undefined },
): JobPlan<ClusterDeployResult> {
  if (!app.current_release) throw new InfraktError('STATE', `'${app.name}' was never deployed`);
  if (app.app_type === 'compose') {
    // Its release is a whole compose file, which the cluster does not keep: the previous file is the user's.
    throw new InfraktError('UNSUPPORTED', `'${app.name}' is a compose app: roll back by deploying the previous file`, {
      hint: `infrakt app update ${app.name} --compose-file <previous file> && infrakt app deploy ${app.name}`,
    });
  }
  if (!ca.row.previous_image) {
    throw new InfraktError('STATE', `'${app.name}' has no previous release on its cluster`, {
      hint: 'a rollback needs two successful deploys',
    });
  }
  return {
    spec: appJobSpec(app, server, 'app.rollback', {
      params: { app: app.name, cluster: ca.settings.cluster },
      steps: ['connect to a manager', 'write stack file', 'deploy stack', 'converge', 'update edge proxy'],
      wait: Boolean(opts.wait),
    }),
    body: (job) => runClusterDeploy(ctx, job, app, ca, { action: 'rollback', image: ca.row.previous_image! }),
  };
}

/** `app scale` of a cluster app. */
export function prepareClusterScale(
  ctx: Ctx,
  app: AppRow,
  server: ServerRow,
  ca: ClusterApp,
  replicas: number,
): JobPlan<ClusterDeployResult> {
  if (!app.current_release)
    throw new InfraktError('STATE', `'${app.name}' was never deployed`, { hint: `infrakt app deploy ${app.name}` });
  return {
    spec: appJobSpec(app, server, 'app.scale', {
      params: { app: app.name, cluster: ca.settings.cluster, replicas },
      steps: ['connect to a manager', 'scale', 'converge'],
    }),
    body: (job) => runClusterChange(ctx, job, app, ca, 'scale', replicas),
  };
}

async function runClusterChange(
  ctx: Ctx,
  job: JobContext,
  app: AppRow,
  ca: ClusterApp,
  action: 'scale',
  replicas: number,
): Promise<ClusterDeployResult> {
  const started = Date.now();
  const service = serviceOf(app.name);
  return withManager(ctx, job, ca.cluster, async (m) => {
    const marker = await job.step('scale', async (s) => {
      const mark = await rolloutMarker(m.ex, service);
      if (!mark.exists)
        throw new InfraktError('STATE', `service ${service} does not exist on the cluster`, {
          hint: `infrakt app deploy ${app.name}`,
        });
      await runChecked(m.ex, swarm.serviceScale(service, replicas));
      s.detail(`${replicas} replica(s)`);
      return mark;
    });
    const done = await job.step('converge', (s) =>
      followConvergence(m.ex, s, {
        service,
        replicas,
        before: marker.before,
        expectUpdate: false,
        timeoutMs: convergeTimeout(app, replicas),
        signal: job.signal,
      }),
    );
    await ctx.store.db.updateTable('cluster_apps').set({ replicas }).where('app_id', '=', app.id).execute();
    await audit(ctx, `app.${action}`, `cluster/${ca.cluster.row.name}/${app.name}`, { replicas });
    return resultOf(app, ca.cluster, action, app.current_release, done.state.image, replicas, done.perNode, started);
  });
}
