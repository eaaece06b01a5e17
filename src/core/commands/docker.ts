import { and, type Cmd, exec, mergeStderr, or, pipe, quietErr, seq, toFile } from '../cmd/index.js';

/** Labels infrakt puts on every container it starts: find an app's releases without any compose file. */
export const LABEL_APP = 'infrakt.app';
export const LABEL_ROOT = 'infrakt.root';
export const LABEL_RELEASE = 'infrakt.release';
export const LABEL_PROJECT = 'com.docker.compose.project';
/** On an app's named volumes (`--volume`): not `infrakt.app`, so only `app destroy --volumes` removes them. */
export const LABEL_VOLUME_OF = 'infrakt.volume-of';

/** Image id (`sha256:…`) on stdout; exit 1 when the image is not present locally (never pulls). */
export const imageId = (image: string): Cmd => exec('docker', 'image', 'inspect', '--format', '{{.Id}}', image);

/** Repo digest if the image came from a registry (`name@sha256:…`), else empty. */
export const imageDigest = (image: string): Cmd =>
  exec('docker', 'image', 'inspect', '--format', '{{range .RepoDigests}}{{.}} {{end}}', image);

/**
 * One round trip for a present image: `<id>|<repo digests>` on stdout, then the release tag. Exit non-zero with
 * empty stdout when the image is not present (never pulls).
 */
export const inspectAndTag = (image: string, tag: string): Cmd =>
  and(
    exec('docker', 'image', 'inspect', '--format', '{{.Id}}|{{range .RepoDigests}}{{.}} {{end}}', image),
    exec('docker', 'tag', image, tag),
  );

/**
 * `configDir`: a private registry's login lives in its own Docker config directory under the server root
 * (`registry add`), not in the SSH user's ~/.docker: only pulls of images from that registry use it.
 */
export const pull = (image: string, configDir?: string): Cmd =>
  exec('docker', ...(configDir ? ['--config', configDir] : []), 'pull', '--quiet', image);

/** `docker login` with the password or token on stdin (never in argv), into a config directory of its own. */
export const login = (host: string, username: string, configDir: string): Cmd =>
  mergeStderr(exec('docker', '--config', configDir, 'login', '--username', username, '--password-stdin', host));

export const logout = (host: string, configDir: string): Cmd =>
  mergeStderr(exec('docker', '--config', configDir, 'logout', host));

/** Gives an image (a ref or an id) another name. */
export const tagImage = (image: string, tag: string): Cmd => exec('docker', 'tag', image, tag);

/** Loads an image archive from stdin (plain or gzip-compressed: `docker load` detects it). */
export const load = (): Cmd => mergeStderr(exec('docker', 'load'));

/**
 * The images of a list that are not on the server, one a line (one round trip for all: each is inspected,
 * a missing one is echoed).
 */
export const missingImages = (images: readonly string[]): Cmd =>
  seq(
    ...images.map((img) =>
      or(toFile(quietErr(exec('docker', 'image', 'inspect', '--format', '.', img)), '/dev/null'), exec('echo', img)),
    ),
    exec('true'),
  );

/** Creates a named volume with labels unless it exists (named volumes outlive releases). */
export const ensureVolume = (name: string, labels: Record<string, string>): Cmd =>
  or(
    toFile(quietErr(exec('docker', 'volume', 'inspect', '--format', '.', name)), '/dev/null'),
    toFile(
      exec('docker', 'volume', 'create', ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), name),
      '/dev/null',
    ),
  );

/** Builds a directory's Dockerfile. Base images already present are used as they are (no --pull). */
export const build = (tag: string, context: string): Cmd =>
  mergeStderr(exec('docker', 'build', '--quiet', '--tag', tag, '--', context));

/**
 * Removes image *references* (tags). Never an image id and never --force: a release tag shares its id with
 * the image it was made from, and removing by id would delete the user's image too.
 */
export const rmi = (...refs: string[]): Cmd => quietErr(exec('docker', 'rmi', ...refs));

const filters = (labels: Record<string, string>): string[] =>
  Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);

/** Compose project names of every container (running or not) carrying these labels, one a line. */
export const projectsByLabels = (labels: Record<string, string>): Cmd =>
  exec('docker', 'ps', '-a', ...filters(labels), '--format', `{{.Label "${LABEL_PROJECT}"}}`);

/**
 * Removes one compose project with plain docker commands (works for compose v1 and v2, with or without the file):
 * graceful stop (SIGTERM, `stopSeconds`), remove containers, then its networks and (optionally) volumes.
 */
export function removeProject(project: string, opts: { volumes?: boolean; stopSeconds?: number } = {}): Cmd {
  const f = filters({ [LABEL_PROJECT]: project });
  const each = (list: string[], ...rm: string[]) =>
    pipe(exec('docker', ...list, ...f), exec('xargs', '-r', 'docker', ...rm));
  const parts = [
    each(['ps', '-q'], 'stop', '--time', String(opts.stopSeconds ?? 10)),
    each(['ps', '-aq'], 'rm', '--force', '--volumes'),
    each(['network', 'ls', '-q'], 'network', 'rm'),
  ];
  if (opts.volumes) parts.push(each(['volume', 'ls', '-q'], 'volume', 'rm', '--force'));
  return and(...parts.map((p) => quietErr(p)));
}

// The retirement sweep, constant text: every value reaches it as a positional parameter (quoted by render).
// $1/$2 the app's and root's label filters, $3 the release prefix (`<app>-r`), $4 the project kept, $5 the stop
// timeout in s, $6 the listing format (project, id), $7 the compose project label filter (networks).
// The two listings run side by side; every release container then stops in one `docker stop` (Docker stops
// them in parallel), is removed in one `docker rm`, and the networks go in one `docker network rm`.
const RETIRE_RELEASES = [
  'd=$(mktemp -d) || exit 1',
  'trap \'rm -rf "$d"\' EXIT',
  'docker ps -a --filter "$1" --filter "$2" --format "$6" > "$d/c" & c=$!',
  'docker network ls --filter "$7" --format "$6" > "$d/n" & n=$!',
  'wait "$c" || exit 1',
  'wait "$n" || exit 1',
  'prefix=$3 keep=$4',
  'ours() { awk -v p="$prefix" -v k="$keep" \'index($1, p) == 1 && substr($1, length(p) + 1) ~ /^[0-9]+$/ && $1 != k\' "$d/$1"; }',
  'ours c > "$d/oc"; ours n > "$d/on"',
  'cat "$d/oc" "$d/on" | cut -d \' \' -f1 | sort -u',
  'cids=$(cut -d " " -f2 "$d/oc"); nids=$(cut -d " " -f2 "$d/on"); rc=0',
  'if [ -n "$cids" ]; then',
  '  docker stop --time "$5" $cids > /dev/null || rc=1',
  '  docker rm --force --volumes $cids > /dev/null || rc=1',
  'fi',
  'if [ -n "$nids" ]; then docker network rm $nids > /dev/null || rc=1; fi',
  'exit "$rc"',
].join('\n');

/**
 * Removes every release project of `app` under `root` (`<app>-r<N>`) but `keep`, as the server lists them when
 * this runs: the release that ran before, one orphaned by a killed deploy, even a project that is nothing but the
 * network of a start cut short. Containers stop gracefully first (`stopSeconds`), then the projects' networks go.
 * Two listings and three docker calls however many releases there are. Prints each project it found, one a
 * line; exits non-zero when a stop or a removal failed.
 */
export function removeReleasesExcept(o: { app: string; root: string; keep: string; stopSeconds: number }): Cmd {
  if (!Number.isInteger(o.stopSeconds) || o.stopSeconds < 0) throw new Error(`invalid stop timeout: ${o.stopSeconds}`);
  return exec(
    'sh',
    '-c',
    RETIRE_RELEASES,
    'retire',
    `label=${LABEL_APP}=${o.app}`,
    `label=${LABEL_ROOT}=${o.root}`,
    `${o.app}-r`,
    o.keep,
    String(o.stopSeconds),
    `{{.Label "${LABEL_PROJECT}"}} {{.ID}}`,
    `label=${LABEL_PROJECT}`,
  );
}

/** The last lines of every container of a project (stdout and stderr merged), for failure reports. */
export const projectLogs = (project: string, lines: number): Cmd =>
  pipe(
    exec('docker', 'ps', '-aq', ...filters({ [LABEL_PROJECT]: project })),
    exec('xargs', '-r', '-n', '1', 'docker', 'logs', '--tail', String(lines)),
  );

/** Exit 0 when at least one container of the project is running. */
export const projectRunning = (project: string): Cmd =>
  pipe(exec('docker', 'ps', '-q', ...filters({ [LABEL_PROJECT]: project })), exec('grep', '-q', '.'));

const eachOfProject = (project: string, list: string[], ...action: string[]): Cmd =>
  pipe(exec('docker', ...list, ...filters({ [LABEL_PROJECT]: project })), exec('xargs', '-r', 'docker', ...action));

/** Starts every stopped container of a project (`app start`). */
export const startProject = (project: string): Cmd => eachOfProject(project, ['ps', '-aq'], 'start');
/** Restarts every container of a project (stopped ones are started). */
export const restartProject = (project: string): Cmd => eachOfProject(project, ['ps', '-aq'], 'restart');
/** Stops every running container of a project (kept, so `app restart` / a deploy can follow). */
export const stopProject = (project: string, stopSeconds = 10): Cmd =>
  eachOfProject(project, ['ps', '-q'], 'stop', '--time', String(stopSeconds));

/** Named volumes infrakt created for an app (shared by its releases), removed on destroy. */
export const removeVolumesByLabels = (labels: Record<string, string>): Cmd =>
  quietErr(
    pipe(
      exec('docker', 'volume', 'ls', '-q', ...filters(labels)),
      exec('xargs', '-r', 'docker', 'volume', 'rm', '--force'),
    ),
  );

/** Names of the volumes carrying these labels, one a line. */
export const volumesByLabels = (labels: Record<string, string>): Cmd =>
  exec('docker', 'volume', 'ls', '-q', ...filters(labels));

export const removeNetwork = (name: string): Cmd => quietErr(exec('docker', 'network', 'rm', name));

/** Every tag of a repository (all release images of an app) untagged, by tag: images tagged otherwise stay. */
export const removeImagesByRepo = (repo: string): Cmd =>
  quietErr(
    pipe(
      exec('docker', 'image', 'ls', '--filter', `reference=${repo}`, '--format', '{{.Repository}}:{{.Tag}}'),
      exec('xargs', '-r', 'docker', 'rmi'),
    ),
  );

/**
 * Where the Docker CLI and Compose live on common installs (Debian/Ubuntu packages, docker.com's packages and
 * script, pip/standalone docker-compose).
 */
const DOCKER_BINARIES = [
  '/usr/bin/docker',
  '/usr/local/bin/docker',
  '/usr/libexec/docker/cli-plugins/docker-compose',
  '/usr/lib/docker/cli-plugins/docker-compose',
  '/usr/local/lib/docker/cli-plugins/docker-compose',
  '/usr/bin/docker-compose',
  '/usr/local/bin/docker-compose',
];

/**
 * A cheap fingerprint of the server's Docker install (path, inode, mtime of each binary present): facts learnt
 * from it (compose flavour, Docker version) hold while it does. Missing paths are left out silently.
 */
export const binariesFingerprint = (): Cmd =>
  seq(quietErr(exec('stat', '-L', '-c', '%n %i %Y', ...DOCKER_BINARIES)), exec('true'));

/** The Docker engine's version (e.g. `24.0.7`). */
export const serverVersion = (): Cmd => quietErr(exec('docker', 'version', '--format', '{{.Server.Version}}'));
