import { type Cmd, exec, pipe } from '../cmd/index.js';
import { LABEL_APP, LABEL_ROOT } from './docker.js';

const appFilters = (app: string, root: string): string[] => [
  '--filter',
  `label=${LABEL_APP}=${app}`,
  '--filter',
  `label=${LABEL_ROOT}=${root}`,
];

/** `<name> <mountpoint>` of every named volume infrakt created for an app, one a line. */
export const appVolumes = (app: string, root: string): Cmd =>
  pipe(
    exec('docker', 'volume', 'ls', '-q', ...appFilters(app, root)),
    exec('xargs', '-r', 'docker', 'volume', 'inspect', '--format', '{{.Name}} {{.Mountpoint}}'),
  );

/** Ids of the app's containers (all releases and services), running only unless `all`. */
export const appContainers = (app: string, root: string, all = false): Cmd =>
  exec('docker', 'ps', '-q', ...(all ? ['-a'] : []), ...appFilters(app, root));

export const pause = (ids: readonly string[]): Cmd => exec('docker', 'pause', ...ids);
export const unpause = (ids: readonly string[]): Cmd => exec('docker', 'unpause', ...ids);
export const stop = (ids: readonly string[], seconds = 30): Cmd =>
  exec('docker', 'stop', '--time', String(seconds), ...ids);
export const start = (ids: readonly string[]): Cmd => exec('docker', 'start', ...ids);

/** Replaces a volume's content with a restored copy: empty it, then copy everything (owners, modes, links) in. */
export const replaceContent = (restored: string, mountpoint: string): Cmd =>
  exec('sh', '-c', 'set -e; find "$2" -mindepth 1 -delete; cp -a "$1/." "$2/"', 'sh', restored, mountpoint);

/** Parses `appVolumes` output. */
export function parseVolumes(stdout: string): { name: string; mountpoint: string }[] {
  return stdout
    .split('\n')
    .map((l) => l.trim().split(' '))
    .filter((p): p is [string, string] => p.length === 2 && p[1]!.startsWith('/'))
    .map(([name, mountpoint]) => ({ name, mountpoint }));
}
