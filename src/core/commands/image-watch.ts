import { and, type Cmd, exec } from '../cmd/index.js';
import { pull } from './docker.js';

/**
 * What an image tag points at in its registry now: `docker pull` (which only fetches the manifest when
 * nothing changed; with the Docker config of the server's login to the image's registry, if any), then the local image's id and repo digests in
 * the format `docker.inspectAndTag` prints (`<id>|<digest> <digest> `).
 */
export const pullAndInspect = (image: string, configDir?: string): Cmd =>
  and(
    pull(image, configDir),
    exec('docker', 'image', 'inspect', '--format', '{{.Id}}|{{range .RepoDigests}}{{.}} {{end}}', image),
  );

export interface ImageRevision {
  id: string;
  digests: string[];
}

/** The last `<id>|<digests>` line of `pullAndInspect`; null when there is none. */
export function parseImageRevision(out: string): ImageRevision | null {
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => /^sha256:[0-9a-f]{64}\|/.test(l.trim()));
  if (!line) return null;
  const [id = '', digests = ''] = line.trim().split('|');
  return { id, digests: digests.split(' ').filter(Boolean) };
}

/** Whether a release's source ref (a repo digest, or an image id when there is none) is this revision. */
export const isRevision = (r: ImageRevision, ref: string | null): boolean =>
  ref !== null && (r.id === ref || r.digests.includes(ref));
