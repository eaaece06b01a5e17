import { type Cmd, exec, fromFile, mergeStderr, toFile } from '../cmd/index.js';

/** Where infrakt keeps a server's Caddy state (agreed with provisioning: the unit runs this file). */
export const caddyPaths = (root: string) => ({
  dir: `${root}/caddy`,
  config: `${root}/caddy/Caddyfile`,
  candidate: `${root}/caddy/Caddyfile.next`,
  previous: `${root}/caddy/Caddyfile.prev`,
  pidfile: `${root}/caddy/caddy.pid`,
  log: `${root}/caddy/caddy.log`,
  data: `${root}/caddy/data`,
});

export const validate = (file: string): Cmd =>
  mergeStderr(exec('caddy', 'validate', '--config', file, '--adapter', 'caddyfile'));

/** Graceful reload through the admin endpoint of the running Caddy (in-flight requests finish). */
export const reload = (file: string, adminAddress: string): Cmd =>
  mergeStderr(exec('caddy', 'reload', '--config', file, '--adapter', 'caddyfile', '--address', adminAddress));

/** Exit 0 when a systemd unit `caddy` is active (provisioned servers). */
export const systemdActive = (): Cmd =>
  toFile(mergeStderr(exec('systemctl', 'is-active', '--quiet', 'caddy')), '/dev/null');
export const systemdReload = (): Cmd => mergeStderr(exec('systemctl', 'reload', 'caddy'));

/**
 * Starts Caddy detached from the SSH session (`setsid -w` waits for `caddy start`, which returns once Caddy
 * answers): its output goes to a log file so a closed channel can never SIGPIPE it.
 */
export function start(paths: ReturnType<typeof caddyPaths>): Cmd {
  const cmd = exec(
    'setsid',
    '-w',
    'caddy',
    'start',
    '--config',
    paths.config,
    '--adapter',
    'caddyfile',
    '--pidfile',
    paths.pidfile,
  );
  return fromFile(toFile(mergeStderr(cmd), paths.log), '/dev/null');
}

/** Stops the Caddy listening on this admin address (the one `start` launched). */
export const stop = (adminAddress: string): Cmd => mergeStderr(exec('caddy', 'stop', '--address', adminAddress));
