import { inspectLocalImage } from '../../../adapters/local/docker-image.js';
import type { AppRow, ServerRow } from '../../../adapters/store/schema.js';
import { InfraktError } from '../../../core/errors.js';
import { type DeployAction, deployPlan } from '../../../core/plans/deploy.js';
import { branchSchema, commitSchema, imageSchema } from '../../../core/schemas/common.js';
import { parseInput } from '../../../core/schemas/parse.js';
import { clusterAppOf } from '../../clusters/cluster-apps.js';
import type { Ctx } from '../../shared/context.js';
import type { JobPlan } from '../../shared/job-plan.js';
import { appJobSpec } from '../../shared/job-spec.js';
import { resolveApp } from '../apps.js';
import { appSettings, composeRelease, type ReleaseNaming } from '../release-source.js';
import { type LocalImage, planInput, type ReleaseRequest } from './release-run.js';
import { runRelease } from './run-release.js';

export interface DeployOptions {
  server?: string;
  /** Wait for a deploy already running on this app instead of failing with LOCKED. */
  wait?: boolean;
  /** An image of this machine to send over the connection and deploy (image apps; no registry needed). */
  localImage?: string;
  /** Git apps: deploy exactly this commit of the branch (a push event, `--commit`), not its head. */
  commit?: string;
  /** Refs that contain `commit` if the server can't fetch it by id (default: the app's branch). */
  refs?: readonly string[];
  /** What started it (`webhook`, `poll`), recorded in the job's params. */
  trigger?: string;
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

function commitRequest(app: AppRow, sha: string, refs?: readonly string[]): NonNullable<ReleaseRequest['commit']> {
  if (app.app_type !== 'git') {
    throw new InfraktError('VALIDATION', `--commit is for git apps; '${app.name}' is a ${app.app_type} app`);
  }
  const commit = parseInput(commitSchema, sha, 'commit');
  for (const r of refs ?? []) parseInput(branchSchema, r, 'ref');
  return { sha: commit, ...(refs?.length ? { refs: [...refs] } : {}) };
}

/** `app deploy`: a new release from the app's source, started beside the serving one and switched to when healthy. */
export async function prepareDeploy(ctx: Ctx, name: string, opts: DeployOptions = {}): Promise<JobPlan<DeployResult>> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  checkDeployable(app);
  if (await clusterAppOf(ctx, app)) {
    throw new InfraktError('UNSUPPORTED', `'${app.name}' runs on a cluster`, {
      hint: `deploy it with the CLI or the API: infrakt app deploy ${app.name}`,
    });
  }
  if (app.app_type === 'compose') composeRelease(dryRelease(app, server), appSettings(app).compose!.content, {});
  let localImage: LocalImage | undefined;
  if (opts.localImage !== undefined) {
    if (app.app_type !== 'image') {
      throw new InfraktError('VALIDATION', `--local-image is for image apps; '${app.name}' is a ${app.app_type} app`);
    }
    localImage = await inspectLocalImage(parseInput(imageSchema, opts.localImage, 'local image'));
  }
  const commit = opts.commit === undefined ? undefined : commitRequest(app, opts.commit, opts.refs);
  return releaseJobPlan(ctx, app, server, {
    kind: 'app.deploy',
    params: {
      app: app.name,
      ...(localImage ? { localImage: localImage.ref } : {}),
      ...(commit ? { commit: commit.sha } : {}),
      ...(opts.trigger ? { trigger: opts.trigger } : {}),
    },
    req: { action: 'deploy', ...(localImage ? { localImage } : {}), ...(commit ? { commit } : {}) },
    wait: opts.wait,
  });
}

/**
 * The job of a deploy, rollback or env push: every step of the plan shown as pending from the start, then run
 * by `runRelease`.
 */
export function releaseJobPlan(
  ctx: Ctx,
  app: AppRow,
  server: ServerRow,
  o: { kind: string; params: Record<string, unknown>; req: ReleaseRequest; wait?: boolean | undefined },
): JobPlan<DeployResult> {
  // Step names do not depend on the release number, known only once the job runs.
  const plan = deployPlan(planInput(app, server, 0, o.req));
  return {
    spec: appJobSpec(app, server, o.kind, {
      params: o.params,
      steps: ['connect', ...plan.map((s) => s.name)],
      wait: Boolean(o.wait),
    }),
    body: (job) => runRelease(ctx, job, app.id, o.req),
  };
}

// For validating a compose file before any job runs: parsing/splitting is pure.
const dryRelease = (app: AppRow, server: ServerRow): ReleaseNaming => ({
  app,
  root: server.root_dir,
  release: 0,
  flavour: 'v2',
});
