import { and, type Cmd, exec, mergeStderr, or, toFile } from '../cmd/index.js';

/** `v2` = the `docker compose` plugin (preferred), `v1` = the Python `docker-compose`. */
export type ComposeFlavour = 'v1' | 'v2';

/** Prints `v2` or `v1` (whichever works first, v2 preferred); exit 1 when neither runs. */
export function detectFlavour(): Cmd {
  const silent = (cmd: Cmd) => toFile(mergeStderr(cmd), '/dev/null');
  return or(
    and(silent(exec('docker', 'compose', 'version', '--short')), exec('echo', 'v2')),
    and(silent(exec('docker-compose', 'version', '--short')), exec('echo', 'v1')),
  );
}

export interface ComposeTarget {
  readonly flavour: ComposeFlavour;
  /** Compose project name: containers, networks and volumes are named after it. */
  readonly project: string;
  readonly file: string;
  /** Variables for `${VAR}` interpolation in the file (the app's `.env`, 0600). */
  readonly envFile?: string;
}

function base(t: ComposeTarget): string[] {
  const head = t.flavour === 'v2' ? ['docker', 'compose'] : ['docker-compose'];
  return [...head, '--project-name', t.project, '--file', t.file, ...(t.envFile ? ['--env-file', t.envFile] : [])];
}

/**
 * Starts (or updates in place) the project's services. Never pulls or builds: images are made present by the
 * pull/build step first, so a missing image is an error instead of a registry lookup.
 */
export function up(t: ComposeTarget): Cmd {
  const noPull = t.flavour === 'v2' ? ['--pull', 'never'] : [];
  return mergeStderr(exec(...base(t), 'up', '--detach', '--no-build', ...noPull, '--remove-orphans'));
}

/** `host:port` published for a service's container port (e.g. `127.0.0.1:49153`) on stdout. */
export const port = (t: ComposeTarget, service: string, containerPort: number): Cmd =>
  exec(...base(t), 'port', service, String(containerPort));

export function logs(t: ComposeTarget, opts: { lines: number; follow?: boolean }): Cmd {
  return mergeStderr(
    exec(...base(t), 'logs', '--no-color', '--tail', String(opts.lines), ...(opts.follow ? ['--follow'] : [])),
  );
}

/** Builds the services that have a `build:` section (base images already present are not pulled). */
export const build = (t: ComposeTarget): Cmd => mergeStderr(exec(...base(t), 'build'));

export const restart = (t: ComposeTarget): Cmd => mergeStderr(exec(...base(t), 'restart'));
export const stop = (t: ComposeTarget): Cmd => mergeStderr(exec(...base(t), 'stop'));
/**
 * A one-off container of a service (its image, env file, volumes and networks; no published ports), removed
 * after: the release command. The command runs through `sh -c` in the container, as a Procfile line would.
 */
export const runOnce = (t: ComposeTarget, service: string, command: string): Cmd =>
  mergeStderr(exec(...base(t), 'run', '--rm', '--no-deps', '-T', '--entrypoint', 'sh', service, '-c', command));

/** Validates a compose file the way the server's compose reads it (quiet: no output on success). */
export const config = (t: ComposeTarget): Cmd => mergeStderr(exec(...base(t), 'config', '--quiet'));

export interface OneOffOptions {
  /** A terminal for the command (interactive use over a pty); without one, stdin is closed (`-T`). */
  readonly tty: boolean;
  /** Environment for the command, e.g. the session marker that lets a hang-up find its processes. */
  readonly env?: Readonly<Record<string, string>>;
}

const envFlags = (env: Readonly<Record<string, string>> = {}) =>
  Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);

/** `exec` in the running container of a service (exit status of the command passed through). */
export const execIn = (t: ComposeTarget, service: string, argv: readonly string[], o: OneOffOptions): Cmd =>
  exec(...base(t), 'exec', ...(o.tty ? [] : ['-T']), ...envFlags(o.env), service, ...argv);

/**
 * A one-off container of a service (its image, env files, volumes and networks, no published ports), removed
 * when the command ends. Named, so that a hang-up can remove it too (`docker rm -f <name>`).
 */
export const runOneOff = (
  t: ComposeTarget,
  service: string,
  argv: readonly string[],
  o: OneOffOptions & { readonly name: string },
): Cmd =>
  exec(
    ...base(t),
    'run',
    '--rm',
    '--no-deps',
    '--name',
    o.name,
    ...(o.tty ? [] : ['-T']),
    ...envFlags(o.env),
    service,
    ...argv,
  );
