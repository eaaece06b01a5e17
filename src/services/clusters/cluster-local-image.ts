// `app deploy --local-image` of a cluster app: an image of this machine is streamed to every node of the
// cluster at once (`docker save | gzip` into `docker load` over each node's SSH connection), skipped on a node
// that already has that very image, and named there under a loopback registry name the stack then runs.
import { saveLocalImage } from '../../adapters/local/docker-image.js';
import * as docker from '../../core/commands/docker.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import { commandFailed, type Executor, runChecked } from '../../core/executor.js';
import type { JobContext, StepHandle } from '../../core/jobs.js';
import type { Ctx } from '../shared/context.js';
import type { ClusterMember, ClusterRecord } from './clusters.js';

export interface ClusterLocalImage {
  readonly ref: string;
  /** `sha256:…` id of the image here. */
  readonly id: string;
  readonly size: number;
}

/**
 * The name the image runs under on the nodes. Swarm tries to pull a task's image on every start: under a
 * loopback registry on port 1 (where nothing listens) that attempt fails at once on the node itself, nothing
 * leaves the node, and the copy loaded there runs. The id in the tag makes each image its own release.
 */
export const nodeLocalTag = (app: string, id: string): string =>
  `127.0.0.1:1/infrakt-local/${app}:${id.replace(/^sha256:/, '').slice(0, 12)}`;

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

type NodeOutcome = { node: string; state: 'present' | 'sent' | 'unreachable'; note: string };

/**
 * Sends the image to every node in parallel. A node that cannot be reached over SSH is skipped (Swarm does
 * not place replicas on a node that is down; logged); a reachable node that fails to load it fails the step,
 * and so does a cluster where no node has it.
 */
export async function sendImageToNodes(
  ctx: Ctx,
  job: JobContext,
  cluster: ClusterRecord,
  img: ClusterLocalImage,
  tag: string,
  s: StepHandle,
): Promise<void> {
  const started = Date.now();
  const outcomes = await Promise.allSettled(cluster.members.map((m) => toNode(ctx, job, m, img, tag)));
  const done: NodeOutcome[] = [];
  const failures: string[] = [];
  for (const [i, o] of outcomes.entries()) {
    const node = cluster.members[i]!.server.name;
    if (o.status === 'fulfilled') {
      done.push(o.value);
      s.log(`${node}: ${o.value.note}`, o.value.state === 'unreachable' ? 'stderr' : 'stdout');
    } else {
      failures.push(`${node}: ${toInfraktError(o.reason).message}`);
      s.log(`${node}: ${toInfraktError(o.reason).message}`, 'stderr');
    }
  }
  if (failures.length) {
    throw new InfraktError('COMMAND_FAILED', `the image did not reach every node: ${failures.join('; ')}`);
  }
  const onNodes = done.filter((d) => d.state !== 'unreachable');
  if (onNodes.length === 0) throw new InfraktError('SSH_UNREACHABLE', 'no node of the cluster could be reached');
  const sent = done.filter((d) => d.state === 'sent').length;
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  s.detail(`${img.ref} on ${onNodes.length} node(s) as ${tag} (${sent} sent, in ${secs} s)`);
}

async function toNode(
  ctx: Ctx,
  job: JobContext,
  m: ClusterMember,
  img: ClusterLocalImage,
  tag: string,
): Promise<NodeOutcome> {
  const node = m.server.name;
  let ex: Executor;
  try {
    ex = await ctx.connect(m.server, { signal: job.signal });
  } catch (e) {
    return { node, state: 'unreachable', note: `skipped, not reachable (${toInfraktError(e).message})` };
  }
  try {
    const there = await ex.run(docker.imageId(tag), { signal: job.signal });
    if (there.exitCode === 0 && there.stdout.trim() === img.id)
      return { node, state: 'present', note: 'already there' };
    const t0 = Date.now();
    const archive = saveLocalImage(img.ref, job.signal);
    const load = docker.load();
    const r = await ex.runWithInput(load, archive.stream, { signal: job.signal });
    if (r.exitCode !== 0) throw commandFailed(ex.target, load, r, 'docker load (local image)');
    // By id: the archive's own tags are whatever the image was called here.
    await runChecked(ex, docker.tagImage(img.id, tag), { signal: job.signal });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    return { node, state: 'sent', note: `${mb(archive.bytesRead())} as ${mb(archive.bytesOut())} gzip in ${secs} s` };
  } finally {
    await ex.close().catch(() => undefined);
  }
}
