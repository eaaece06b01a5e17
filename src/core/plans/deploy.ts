import { and, type Cmd } from '../cmd/index.js';
import type * as compose from '../commands/compose.js';
import type { ComposeFlavour } from '../commands/compose.js';
import * as docker from '../commands/docker.js';
import * as fs from '../commands/fs.js';
import * as git from '../commands/git.js';
import { appLayout, builtImage, releaseProject, servicesProject } from './layout.js';

export type DeploySource =
  | { readonly type: 'image'; readonly image: string }
  | {
      readonly type: 'git';
      readonly repo: string;
      readonly branch: string;
      /** Deploy exactly this commit (a push event, `app deploy --commit`) instead of the branch head. */
      readonly commit?: string;
      /** Refs that contain `commit` when the server cannot fetch it by id (default: the branch). */
      readonly refs?: readonly string[];
    }
  | { readonly type: 'compose'; readonly content: string };

/** Why a deploy runs: a new source, a rollback to a kept release, or new variables for the current one. */
export type DeployAction = 'deploy' | 'rollback' | 'env-push';

export interface DeployPlanInput {
  readonly app: string;
  readonly root: string;
  readonly release: number;
  readonly port: number;
  readonly source: DeploySource;
  readonly action: DeployAction;
  readonly domain: string | null;
  /** `app deploy --local-image`: the image is sent from this machine over the connection first. */
  readonly localImage?: boolean;
  /** `app update --release-command`: run once in the new release before the switch (deploys only). */
  readonly releaseCommand?: boolean;
  /** Named volumes the release mounts (created once, kept across releases) and bind-mount directories. */
  readonly volumes?: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>> }[];
  readonly bindDirs?: readonly string[];
}

/**
 * The step kinds the deploy service runs, one function each (src/services/deploy/steps/). `cmds` are what the
 * step runs as given (they must exit 0); the rest of a step needs values only known while running (the
 * detected compose flavour, the chosen port, the commit fetched).
 */
export type DeployStepKind =
  | 'prepare'
  | 'source'
  | 'build'
  | 'write'
  | 'services'
  | 'start'
  | 'health'
  | 'upload'
  | 'release'
  | 'switch'
  | 'retire'
  | 'record';

export interface DeployStep {
  readonly name: string;
  readonly kind: DeployStepKind;
  readonly cmds?: readonly Cmd[];
  /**
   * Run when this step or a later one fails before traffic is switched (latest step first): undo what this
   * step started, keep the serving release.
   */
  readonly compensate?: readonly Cmd[];
  /** Recorded as skipped with this reason instead of running. */
  readonly skippedBecause?: string;
}

/** Compose target of a release project. */
export function releaseTarget(
  i: Pick<DeployPlanInput, 'app' | 'root' | 'release'> & { flavour: ComposeFlavour },
): compose.ComposeTarget {
  const l = appLayout(i.root, i.app);
  return {
    flavour: i.flavour,
    project: releaseProject(i.app, i.release),
    file: l.releaseFile(i.release),
  };
}

export function servicesTarget(
  i: Pick<DeployPlanInput, 'app' | 'root'> & { flavour: ComposeFlavour },
): compose.ComposeTarget {
  const l = appLayout(i.root, i.app);
  return { flavour: i.flavour, project: servicesProject(i.app), file: l.servicesFile };
}

/**
 * A deploy, rollback or env push as data: prepare → (send local image) → source → write → (build) → (services)
 * → start beside the serving release → health → (release command) → switch proxy → retire the previous release
 * and prune old ones → record.
 * Only `switch` changes what users are served; everything before it is undone by the steps' compensations.
 */
export function deployPlan(i: DeployPlanInput): DeployStep[] {
  const l = appLayout(i.root, i.app);
  const project = releaseProject(i.app, i.release);
  const reuse = i.action !== 'deploy';
  const steps: DeployStep[] = [
    {
      // The service takes the server lock and detects the compose flavour alongside (independent round trips).
      name: 'prepare server',
      kind: 'prepare',
      cmds: [
        and(
          fs.mkdirp(l.dir, 0o700),
          fs.mkdirp(l.releaseDir(i.release)),
          fs.mkdirp(l.backupsDir, 0o700),
          fs.mkdirp(`${i.root}/caddy/data`, 0o700),
          ...(i.bindDirs ?? []).map((d) => fs.mkdirp(d)),
          ...(i.volumes ?? []).map((v) => docker.ensureVolume(v.name, v.labels)),
        ),
      ],
    },
  ];
  if (reuse) {
    // Rollback / env push: the kept release's image is tagged again and its compose source read back.
    steps.push({ name: 'reuse release source', kind: 'source' });
  } else if (i.source.type === 'image') {
    if (i.localImage) steps.push({ name: 'send local image', kind: 'upload' });
    steps.push({
      name: 'check image',
      kind: 'source',
      cmds: [docker.inspectAndTag(i.source.image, builtImage(i.app, i.release))],
    });
  } else if (i.source.type === 'git') {
    const { repo, branch, commit, refs } = i.source;
    steps.push({
      name: 'fetch git source',
      kind: 'source',
      cmds: [
        commit ? git.syncCommit(repo, commit, refs ?? [branch], l.srcDir) : git.syncBranch(repo, branch, l.srcDir),
        git.headCommit(l.srcDir),
      ],
    });
  } else {
    steps.push({ name: 'validate compose file', kind: 'source' });
  }
  steps.push({ name: 'write release files', kind: 'write' });
  if (!reuse && i.source.type !== 'image') {
    // After the files: compose builds from them. A Dockerfile, a `build:` section, or nothing to build.
    steps.push({ name: 'build image', kind: 'build', compensate: [docker.rmi(builtImage(i.app, i.release))] });
  }
  if (i.source.type !== 'image') steps.push({ name: 'update services in place', kind: 'services' });
  steps.push(
    // compose up on the release's fixed port (built by the service: it needs the detected flavour).
    { name: 'start new release', kind: 'start', compensate: [docker.removeProject(project, { stopSeconds: 5 })] },
    { name: 'health check', kind: 'health' },
    ...(i.releaseCommand
      ? [
          reuse
            ? { name: 'release command', kind: 'release' as const, skippedBecause: 'it runs on deploys only' }
            : { name: 'release command', kind: 'release' as const },
        ]
      : []),
    i.domain
      ? { name: 'switch proxy', kind: 'switch' }
      : { name: 'switch proxy', kind: 'switch', skippedBecause: 'the app has no domain' },
    // Stopping the previous release and pruning releases beyond the last three run side by side.
    { name: 'retire previous release', kind: 'retire' },
    { name: 'record release', kind: 'record' },
  );
  return steps;
}
