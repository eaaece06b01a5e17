import type { AppRow, ServerRow } from '../../../adapters/store/schema.js';
import type { Cmd } from '../../../core/cmd/index.js';
import type { ComposeFlavour, ComposeTarget } from '../../../core/commands/compose.js';
import * as docker from '../../../core/commands/docker.js';
import { InfraktError } from '../../../core/errors.js';
import type { Executor } from '../../../core/executor.js';
import type { JobContext, StepHandle } from '../../../core/jobs.js';
import {
  type DeployAction,
  type DeployPlanInput,
  type DeploySource,
  type DeployStep,
  deployPlan,
  releaseTarget,
  servicesTarget,
} from '../../../core/plans/deploy.js';
import { type AppLayout, appLayout, appVolume } from '../../../core/plans/layout.js';
import type { Secret } from '../../../core/secret.js';
import { pullPolicy } from '../../servers/settings.js';
import type { Ctx } from '../../shared/context.js';
import type { FramedScript } from '../../shared/framed-script.js';
import type { ServerSession } from '../../shared/server-session.js';
import { appSettings, type PreparedRelease, type ReleaseDetails, type SourceCtx } from '../release-source.js';
import { startDeployment } from '../releases.js';
import type { ReleaseChain } from './release-chain.js';
import type { Retirement } from './steps/retire-previous.js';

export interface ReleaseRequest {
  action: DeployAction;
  /** Rollback / env push: the kept release whose source is reused. */
  from?: { release: number; details: ReleaseDetails; sourceRef: string };
  /** `app deploy --local-image`: an image of this machine, sent over the connection, deployed instead of `image`. */
  localImage?: LocalImage;
  /** Git apps: deploy exactly this commit (fetched by id, else through `refs`), not the branch head. */
  commit?: { sha: string; refs?: readonly string[] };
}

/** An image on the machine running infrakt (`docker image inspect` here). */
export interface LocalImage {
  readonly ref: string;
  readonly id: string;
  readonly size: number;
}

/**
 * One deploy-like job as it runs: what it was given, and what its steps learn and change on the way, under
 * names the steps share. Opened once the deployment record exists; the runner and every step read it.
 */
export interface ReleaseRun {
  readonly ctx: Ctx;
  readonly job: JobContext;
  readonly session: ServerSession;
  readonly ex: Executor;
  readonly app: AppRow;
  readonly server: ServerRow;
  readonly req: ReleaseRequest;
  /** The app's variables (registered as job secrets: scrubbed from logs, errors and records). */
  readonly env: Map<string, Secret>;
  readonly layout: AppLayout;
  readonly deploymentId: number;
  readonly release: number;
  readonly plan: readonly DeployStep[];
  /** `Date.now()` when the job began: `msToServing` counts from here. */
  readonly startedAt: number;
  /** `docker compose` (v2) or `docker-compose` (v1), detected by `prepare server`. */
  flavour: ComposeFlavour;
  /** Release projects running and release numbers kept before this release: retired and pruned after it. */
  before: { projects: string[]; releases: number[] };
  /** The release's fixed loopback port (chosen by `prepare server`, moved by `start` if it was taken). */
  hostPort: number;
  /** What `fetch source` made of the source: release files, what to build, the source ref. */
  prepared: PreparedRelease | null;
  /** An image deploy's `docker.inspectAndTag` as `prepare server` ran it in its batch (null: not run there). */
  inspectedImage: { exitCode: number; stdout: string; stderr: string } | null;
  /** A compose deploy's `docker.missingImages` as `prepare server` ran it in its batch (null: not run there). */
  checkedComposeImages: { exitCode: number; stdout: string } | null;
  /** Whether Caddy listened on its admin address when `prepare server` looked (null: not looked). */
  caddyRunning: boolean | null;
  msToServing: number;
  /** Write → start → health as one script, when nothing is built between them (see release-chain.ts). */
  chain: ReleaseChain | null;
  /** The retirement sent with the proxy switch, still running in its script (`retire previous release` reports it). */
  retiring: { script: FramedScript; retirement: Retirement } | null;
  /** `retire previous release` wrote the `current` marker in its script (`record release` then does not). */
  currentWritten: boolean;
  /** Traffic is on the new release (or it is retiring the previous one): a failure is no longer undone. */
  switched: boolean;
  /** What the steps begun so far declared to undo if the release fails before the switch, in step order. */
  compensations: { step: DeployStep; cmds: readonly Cmd[] }[];
}

/** One step of the plan, run by the function of its kind (src/services/deploy/steps/). */
export type ReleaseStep = (run: ReleaseRun, step: DeployStep, s: StepHandle) => Promise<void>;

export function planInput(
  app: AppRow,
  server: ServerRow,
  release: number,
  req: Pick<ReleaseRequest, 'action' | 'localImage' | 'commit'>,
): DeployPlanInput {
  const settings = appSettings(app);
  const image = req.localImage?.ref ?? app.image ?? '';
  const source: DeploySource =
    app.app_type === 'image'
      ? { type: 'image' as const, image }
      : app.app_type === 'git'
        ? {
            type: 'git' as const,
            repo: app.git_repo ?? '',
            branch: app.branch ?? 'main',
            ...(req.commit ? { commit: req.commit.sha, refs: req.commit.refs ?? [app.branch ?? 'main'] } : {}),
          }
        : { type: 'compose' as const, content: settings.compose?.content ?? '' };
  const l = appLayout(server.root_dir, app.name);
  const volumes = settings.volumes ?? [];
  return {
    app: app.name,
    root: server.root_dir,
    release,
    port: app.port,
    source,
    action: req.action,
    domain: app.domain,
    localImage: Boolean(req.localImage),
    releaseCommand: Boolean(settings.releaseCommand),
    volumes: volumes.flatMap((v) =>
      v.kind === 'named'
        ? [
            {
              name: appVolume(app.name, v.name),
              labels: { [docker.LABEL_VOLUME_OF]: app.name, [docker.LABEL_ROOT]: server.root_dir },
            },
          ]
        : [],
    ),
    bindDirs: volumes.flatMap((v) => (v.kind === 'bind' ? [`${l.mountsDir}/${v.source}`] : [])),
  };
}

/** Opens the deployment record under a fresh release number and the run that carries it through the plan. */
export async function openReleaseRun(o: {
  ctx: Ctx;
  job: JobContext;
  session: ServerSession;
  app: AppRow;
  server: ServerRow;
  env: Map<string, Secret>;
  req: ReleaseRequest;
  startedAt: number;
}): Promise<ReleaseRun> {
  const dep = await startDeployment(o.ctx, o.app, o.req.action, o.job.id);
  return {
    ...o,
    ex: o.session.ex,
    layout: appLayout(o.server.root_dir, o.app.name),
    deploymentId: dep.id,
    release: dep.release,
    plan: deployPlan(planInput(o.app, o.server, dep.release, o.req)),
    flavour: 'v2',
    before: { projects: [], releases: [] },
    hostPort: 0,
    prepared: null,
    inspectedImage: null,
    checkedComposeImages: null,
    caddyRunning: null,
    msToServing: 0,
    chain: null,
    retiring: null,
    currentWritten: false,
    switched: false,
    compensations: [],
  };
}

/** The release as `fetch source` prepared it; the plan runs that step before every step that asks. */
export function preparedOf(run: ReleaseRun): PreparedRelease {
  if (!run.prepared) throw new InfraktError('INTERNAL', 'a deploy step ran before the release source was prepared');
  return run.prepared;
}

/** What the source builders need: the connection, the app, the release, the detected flavour and port. */
export function sourceCtx(run: ReleaseRun): SourceCtx {
  return {
    ex: run.ex,
    app: run.app,
    root: run.server.root_dir,
    release: run.release,
    flavour: run.flavour,
    hostPort: run.hostPort,
    pull: pullPolicy(run.server),
    server: run.server.name,
    signal: run.job.signal,
    log: (m) => run.job.log(m),
    // The variables go into the release's compose file (see core/plans/compose-env.ts), written 0600.
    env: new Map([...run.env].map(([k, v]) => [k, v.reveal()])),
  };
}

export const releaseTargetOf = (run: ReleaseRun): ComposeTarget =>
  releaseTarget({ app: run.app.name, root: run.server.root_dir, release: run.release, flavour: run.flavour });

export const servicesTargetOf = (run: ReleaseRun): ComposeTarget =>
  servicesTarget({ app: run.app.name, root: run.server.root_dir, flavour: run.flavour });
