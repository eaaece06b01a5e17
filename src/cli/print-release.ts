import type { DeployResult } from '../services/apps/deploy/deploy-app.js';
import { c } from './output.js';

/** The line under a deploy, rollback or env push: the new release, where it serves, and how fast. */
export function printRelease(r: DeployResult): void {
  process.stdout.write(
    `  release ${c.bold(String(r.release))} serving on 127.0.0.1:${r.hostPort} ${c.dim(`(${r.sourceRef.slice(0, 32)}, ${r.msToServing} ms to serving)`)}\n`,
  );
}
