import type { ClusterDeployResult } from '../core/schemas/views/clusters.js';
import type { DeployResult } from '../services/apps/deploy/deploy-app.js';
import { c } from './output.js';

/** The line under a deploy, rollback or env push: the new release, where it serves, and how fast. */
export function printRelease(r: DeployResult): void {
  process.stdout.write(
    `  release ${c.bold(String(r.release))} serving on 127.0.0.1:${r.hostPort} ${c.dim(`(${r.sourceRef.slice(0, 32)}, ${r.msToServing} ms to serving)`)}\n`,
  );
}

/** The line under a cluster app's deploy, rollback or scale: replicas per node and time to converged. */
export function printClusterResult(r: ClusterDeployResult): void {
  const nodes = Object.entries(r.perNode)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, k]) => `${n}: ${k}`)
    .join(', ');
  process.stdout.write(
    `  ${r.replicas} replica(s) of ${r.image} healthy on cluster ${c.bold(r.cluster)}${nodes ? ` (${nodes})` : ''} ${c.dim(`${r.msToConverged} ms to converged`)}\n`,
  );
}
