import { type Cmd, exec } from '../cmd/index.js';
import { LABEL_APP, LABEL_PROJECT, LABEL_ROOT } from '../commands/docker.js';
import { LABEL_DB } from '../plans/db-compose.js';

/** Every container infrakt started under a server root: `app<TAB>project<TAB>state<TAB>db-type`, one a line. */
export const rootContainers = (root: string): Cmd =>
  exec(
    'docker',
    'ps',
    '-a',
    '--filter',
    `label=${LABEL_ROOT}=${root}`,
    '--format',
    `{{.Label "${LABEL_APP}"}}\t{{.Label "${LABEL_PROJECT}"}}\t{{.State}}\t{{.Label "${LABEL_DB}"}}`,
  );

export interface ContainerLine {
  readonly app: string;
  readonly project: string;
  readonly state: string;
  readonly db: string;
}

export function parseRootContainers(stdout: string): ContainerLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [app = '', project = '', state = '', db = ''] = l.split('\t');
      return { app, project, state, db };
    });
}

/** `<id>|<repo digests>` of an image present on the server (exit 1 when absent; never pulls). */
export const imageRefOf = (image: string): Cmd =>
  exec('docker', 'image', 'inspect', '--format', '{{.Id}}|{{range .RepoDigests}}{{.}} {{end}}', image);

/** The same identity a deploy records for an image release: its first repo digest, else its id. */
export function parseImageRef(stdout: string): string | null {
  const line = stdout.trim().split('\n').at(-1);
  if (!line) return null;
  const [id = '', digests = ''] = line.split('|');
  return digests.split(' ').filter(Boolean)[0] ?? (id || null);
}
