import { createHash } from 'node:crypto';
import type { AppRow } from '../../adapters/store/schema.js';
import { exec, mergeStderr } from '../../core/cmd/index.js';
import type { ComposeFlavour } from '../../core/commands/compose.js';
import * as docker from '../../core/commands/docker.js';
import * as fs from '../../core/commands/fs.js';
import { InfraktError } from '../../core/errors.js';
import { commandFailed, type Executor, runChecked } from '../../core/executor.js';
import {
  imageComposeFile,
  parseComposeFile,
  type ReleaseRuntime,
  type ServiceTuning,
  splitCompose,
} from '../../core/plans/deploy-compose.js';
import { appLayout, builtImage, releaseProject, servicesProject, sharedNetwork } from '../../core/plans/layout.js';
import { registryOfImage } from '../../core/schemas/registry.js';
import type { PullAuth } from '../registries/registries.js';
import { appSettings, type RuntimeSnapshot, tuningOf } from './app-settings.js';

export { type AppSettings, appSettings } from './app-settings.js';

/** The runtime keys of an app's releases (see core/plans/deploy-compose.ts). */
export function releaseRuntime(app: Pick<AppRow, 'settings_json'>): ReleaseRuntime {
  const s = appSettings(app);
  return { init: s.init ?? true, ...(s.stopTimeoutSec !== undefined ? { stopTimeoutSec: s.stopTimeoutSec } : {}) };
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** How a release was made, kept in the deployment's details (never any secret). */
export interface ReleaseDetails {
  kind: 'image' | 'compose';
  project: string;
  service: string;
  flavour: ComposeFlavour;
  /** Compose releases whose routed service is built: its image is tagged per release for rollback. */
  routedBuilt?: boolean;
  image?: string;
  commit?: string;
  /** How the release was configured (`app show` compares it with the app's settings: pending changes). */
  runtime?: RuntimeSnapshot;
}

export interface PreparedRelease {
  details: ReleaseDetails;
  /** Source identity shown in `app deployments`: image digest, git commit or compose hash. */
  sourceRef: string;
  releaseFile: string;
  /** The release file again with another host port (the chosen one was taken before the release started). */
  renderRelease: (hostPort: number) => string;
  servicesFile: string | null;
  /** The compose document to keep as `source.yml` (compose kinds). */
  sourceYaml?: string;
  /** A git app's own compose file (its name at the repository's root), checked before anything runs. */
  repoComposeFile?: string;
  /** Build with compose (routed or stable services have `build:`). */
  composeBuild: boolean;
  /** A git app without a compose file: its Dockerfile, built as the release's image by the `build` step. */
  dockerfile?: { tag: string; context: string };
}

/** What naming and rendering a release takes: no server, so a compose file can be checked before any job runs. */
export interface ReleaseNaming {
  app: AppRow;
  root: string;
  release: number;
  flavour: ComposeFlavour;
  /** Fixed loopback port the release publishes its app port on (unset only when nothing will start). */
  hostPort?: number;
  /** Limits, restart policy and mounts of the routed service (default: from the app's settings). */
  tuning?: ServiceTuning;
  /** The app's variables (revealed): they go into the release's compose file, which is written 0600. */
  env?: ReadonlyMap<string, string>;
}

export interface SourceCtx extends ReleaseNaming {
  ex: Executor;
  /** `never`: a missing image is an error instead of a registry pull. */
  pull?: 'missing' | 'never';
  /** Which registry login a pull uses (`registry add`); none: public pulls only. */
  auth?: PullAuth;
  /** The server's name, for hints. */
  server?: string;
  signal?: AbortSignal;
  log: (l: string) => void;
}

/** Pulls an image missing on the server (with the server's login to its registry, if it has one). */
async function pullMissing(s: SourceCtx, image: string): Promise<void> {
  const server = s.server ?? '<server>';
  if (s.pull === 'never') {
    throw new InfraktError('NOT_FOUND', `image ${image} is not on the server and its pull policy is never`, {
      hint: `load the image on the server (docker load / docker build, or app deploy --local-image), or: infrakt server set ${server} --pull-policy missing`,
    });
  }
  const auth = s.auth?.(image) ?? { host: registryOfImage(image) };
  s.log(`image ${image} is not on the server: pulling it${auth.configDir ? ` (logged in to ${auth.host})` : ''}`);
  const cmd = docker.pull(image, auth.configDir);
  const r = await s.ex.run(mergeStderr(cmd), s.signal ? { signal: s.signal } : {});
  if (r.exitCode === 0) return;
  const err = commandFailed(s.ex.target, cmd, r, `docker pull ${image}`);
  throw new InfraktError(err.code, err.message, {
    details: err.details,
    hint: auth.configDir
      ? `${server} is logged in to ${auth.host}: check that user's access (infrakt registry add --server ${server} ${auth.host} --username <user> replaces the credentials)`
      : `if ${image} is private, log the server in to its registry first: infrakt registry add --server ${server} ${auth.host} --username <user>`,
  });
}

/** The images a compose file's services name and do not build (those a deploy makes present). */
export function composeImages(yaml: string): string[] {
  const services = parseComposeFile(yaml).services as Record<string, { image?: unknown; build?: unknown }>;
  return [
    ...new Set(
      Object.values(services).flatMap((svc) => (typeof svc.image === 'string' && !svc.build ? [svc.image] : [])),
    ),
  ];
}

/**
 * Compose sources: every image a service names (and does not build) is made present, pulled when missing.
 * `checked`: `docker.missingImages(composeImages(yaml))` already run (in a deploy's prepare batch).
 */
export async function ensureComposeImages(
  s: SourceCtx,
  yaml: string,
  checked?: { exitCode: number; stdout: string },
): Promise<void> {
  const images = composeImages(yaml);
  if (images.length === 0) return;
  const r =
    checked?.exitCode === 0
      ? checked
      : await runChecked(s.ex, docker.missingImages(images), { what: 'check the images of the compose file' });
  const missing = r.stdout.split('\n').filter((l) => images.includes(l.trim()));
  for (const image of missing) await pullMissing(s, image.trim());
  if (missing.length === 0) s.log(`${images.length} image(s) of the compose file present, none pulled`);
}

const labels = (s: ReleaseNaming) => ({ app: s.app.name, root: s.root, release: s.release });

/** Image app: make sure the image is here (pull only when missing), tag it for this release. */
export async function imageSource(
  s: SourceCtx,
  image: string,
  inspected?: { exitCode: number; stdout: string; stderr: string },
): Promise<PreparedRelease> {
  const tag = builtImage(s.app.name, s.release);
  // `inspected`: `docker.inspectAndTag(image, tag)` already run (in the deploy's prepare batch).
  let r = inspected ? { ...inspected, durationMs: 0 } : await s.ex.run(docker.inspectAndTag(image, tag));
  if (r.exitCode !== 0 && r.stdout.trim() === '') {
    await pullMissing(s, image);
    r = await s.ex.run(docker.inspectAndTag(image, tag));
  } else if (r.exitCode === 0) s.log(`image ${image} present (${r.stdout.trim().slice(0, 19)}), not pulled`);
  if (r.exitCode !== 0)
    throw commandFailed(s.ex.target, docker.inspectAndTag(image, tag), r, 'inspect and tag the image');
  const [id = '', digests = ''] = r.stdout.trim().split('\n').at(-1)!.split('|');
  return imageRelease(s, tag, digests.split(' ').filter(Boolean)[0] ?? id, { image });
}

function imageRelease(
  s: ReleaseNaming,
  tag: string,
  sourceRef: string,
  extra: Partial<ReleaseDetails>,
): PreparedRelease {
  const render = (hostPort: number | undefined) =>
    imageComposeFile({
      image: tag,
      port: s.app.port,
      hostPort,
      ...(s.env ? { env: s.env } : {}),
      labels: labels(s),
      tuning: s.tuning ?? tuningOf(s.app, s.root),
      runtime: releaseRuntime(s.app),
    });
  return {
    details: {
      kind: 'image',
      project: releaseProject(s.app.name, s.release),
      service: 'app',
      flavour: s.flavour,
      ...extra,
    },
    sourceRef,
    releaseFile: render(s.hostPort),
    renderRelease: render,
    servicesFile: null,
    composeBuild: false,
  };
}

export function composeRelease(
  s: ReleaseNaming,
  yaml: string,
  extra: { commit?: string; contextDir?: string; reuseBuiltImage?: boolean },
): PreparedRelease {
  const doc = parseComposeFile(yaml);
  const splitWith = (hostPort: number | undefined) =>
    splitCompose({
      doc,
      port: s.app.port,
      hostPort,
      ...(s.env ? { env: s.env } : {}),
      labels: labels(s),
      runtime: releaseRuntime(s.app),
      network: sharedNetwork(s.app.name),
      servicesProject: servicesProject(s.app.name),
      routedImage: builtImage(s.app.name, s.release),
      dropBuild: Boolean(extra.reuseBuiltImage),
      contextDir: extra.contextDir,
      tuning: s.tuning ?? tuningOf(s.app, s.root),
    });
  const split = splitWith(s.hostPort);
  return {
    details: {
      kind: 'compose',
      project: releaseProject(s.app.name, s.release),
      service: split.service,
      flavour: s.flavour,
      routedBuilt: split.routedBuilt,
      commit: extra.commit,
    },
    sourceRef: extra.commit ?? `sha256:${sha256(yaml).slice(0, 16)}`,
    releaseFile: split.release,
    renderRelease: (hostPort) => splitWith(hostPort).release,
    servicesFile: split.services,
    sourceYaml: yaml,
    composeBuild: split.builds,
  };
}

const REPO_COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.yaml', 'compose.yml', 'compose.yaml'];

/** Git app: the repo's compose file if it has one, else its Dockerfile (built as this release's image later). */
export async function gitSource(s: SourceCtx, commit: string): Promise<PreparedRelease> {
  const l = appLayout(s.root, s.app.name);
  for (const name of REPO_COMPOSE_FILES) {
    const text = await s.ex.get(`${l.srcDir}/${name}`).then(
      (b) => b.toString('utf8'),
      () => null,
    );
    if (text !== null) {
      s.log(`using the repository's ${name}`);
      return { ...composeRelease(s, text, { commit, contextDir: l.srcDir }), repoComposeFile: name };
    }
  }
  if ((await s.ex.run(fs.testFile(`${l.srcDir}/Dockerfile`))).exitCode !== 0) {
    throw new InfraktError('VALIDATION', `the repository has neither a compose file nor a Dockerfile at its root`, {
      hint: `add a Dockerfile (or ${REPO_COMPOSE_FILES[0]}) to the branch ${s.app.branch}`,
    });
  }
  const tag = builtImage(s.app.name, s.release);
  return { ...imageRelease(s, tag, commit, { commit }), dockerfile: { tag, context: l.srcDir } };
}

/**
 * Rollback / env push: a kept release becomes a new release, with the same image and compose source. `vet` sees
 * the kept compose file first (a rollback checks its privileged options again).
 */
export async function reuseSource(
  s: SourceCtx,
  from: number,
  prev: ReleaseDetails,
  prevRef: string,
  vet?: (composeYaml: string) => void | Promise<void>,
): Promise<PreparedRelease> {
  const l = appLayout(s.root, s.app.name);
  const tag = builtImage(s.app.name, s.release);
  const retag = () =>
    runChecked(s.ex, exec('docker', 'tag', builtImage(s.app.name, from), tag), {
      what: `re-tag the image of release ${from}`,
    });
  if (prev.kind === 'image') {
    await retag();
    return imageRelease(s, tag, prevRef, { image: prev.image, commit: prev.commit });
  }
  const yaml = (await s.ex.get(`${l.releaseDir(from)}/source.yml`)).toString('utf8');
  // Before anything is tagged or written: a refusal leaves the server as it was.
  await vet?.(yaml);
  if (prev.routedBuilt) await retag();
  const r = composeRelease(s, yaml, {
    commit: prev.commit,
    contextDir: l.srcDir,
    reuseBuiltImage: Boolean(prev.routedBuilt),
  });
  return { ...r, sourceRef: prevRef };
}
