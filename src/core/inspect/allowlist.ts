import { type Cmd, exec } from '../cmd/index.js';
import { InfraktError } from '../errors.js';

/**
 * The read-only commands an assistant may run on a server through MCP's `server_exec`. Each is a fixed argv
 * with validated arguments (rendered with quoting, so an argument is always one word of data): no shell, no
 * pipes, nothing that writes. Anything else is refused before a connection is opened.
 */

const UNIT_RE = /^[A-Za-z0-9][A-Za-z0-9@_.:-]{0,127}$/;
const CONTAINER_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const refuse = (message: string) =>
  new InfraktError('VALIDATION', `server_exec: ${message}`, { hint: `allowed: ${INSPECT_COMMANDS.join(', ')}` });

function none(name: string, args: readonly string[]): void {
  if (args.length) throw refuse(`${name} takes no arguments`);
}

function unit(name: string, args: readonly string[]): string {
  if (args.length !== 1) throw refuse(`${name} takes exactly one unit name`);
  const u = args[0]!;
  if (!UNIT_RE.test(u)) throw refuse(`'${u.slice(0, 40)}' is not a systemd unit name`);
  return u;
}

function lines(v: string | undefined, name: string): string {
  if (v === undefined) return '50';
  if (!/^[0-9]{1,3}$/.test(v) || Number(v) < 1 || Number(v) > 500)
    throw refuse(`${name}: the line count must be 1-500`);
  return String(Number(v));
}

/** A command that takes no arguments: always the same argv. */
const fixed =
  (name: string, ...argv: [string, ...string[]]) =>
  (a: readonly string[]): Cmd => {
    none(name, a);
    return exec(...argv);
  };

const BUILDERS = {
  uptime: fixed('uptime', 'uptime'),
  df: fixed('df', 'df', '-h', '-x', 'tmpfs', '-x', 'devtmpfs', '-x', 'overlay'),
  free: fixed('free', 'free', '-m'),
  uname: fixed('uname', 'uname', '-a'),
  'os-release': fixed('os-release', 'cat', '/etc/os-release'),
  'systemctl status': (a: readonly string[]) =>
    exec('systemctl', 'status', '--no-pager', '--lines', '20', '--', unit('systemctl status', a)),
  'systemctl is-active': (a: readonly string[]) => exec('systemctl', 'is-active', '--', unit('systemctl is-active', a)),
  'systemctl --failed': fixed('systemctl --failed', 'systemctl', 'list-units', '--failed', '--no-pager'),
  /** `journalctl UNIT [LINES]` */
  journalctl: (a: readonly string[]) => {
    if (a.length < 1 || a.length > 2) throw refuse('journalctl takes a unit name and optionally a line count');
    return exec('journalctl', '--no-pager', '-n', lines(a[1], 'journalctl'), '-u', unit('journalctl', [a[0]!]));
  },
  'docker ps': (a: readonly string[]) => {
    if (a.length > 1 || (a[0] !== undefined && a[0] !== '-a')) throw refuse('docker ps takes only -a');
    return exec(
      'docker',
      'ps',
      ...(a[0] ? ['-a'] : []),
      '--format',
      'table {{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}',
    );
  },
  'docker stats': fixed('docker stats', 'docker', 'stats', '--no-stream'),
  'docker inspect state': (a: readonly string[]) => {
    if (a.length !== 1 || !CONTAINER_RE.test(a[0]!)) throw refuse('docker inspect state takes one container name');
    return exec(
      'docker',
      'inspect',
      '--format',
      '{{.Name}} {{.State.Status}} health={{if .State.Health}}{{.State.Health.Status}}{{end}} restarts={{.RestartCount}}',
      '--',
      a[0]!,
    );
  },
  'ss listening': fixed('ss listening', 'ss', '-tlnH'),
  'ip addr': fixed('ip addr', 'ip', '-brief', 'addr'),
} as const satisfies Record<string, (args: readonly string[]) => Cmd>;

export type InspectCommand = keyof typeof BUILDERS;
export const INSPECT_COMMANDS = Object.keys(BUILDERS) as InspectCommand[];

/** The argv for an allowed inspection command, or a VALIDATION error naming what was refused. */
export function inspectCommand(command: string, args: readonly string[] = []): Cmd {
  if (!Object.hasOwn(BUILDERS, command)) throw refuse(`'${command.slice(0, 40)}' is not an allowed command`);
  if (args.length > 4 || args.some((x) => typeof x !== 'string' || x.length > 200))
    throw refuse('too many or too long arguments');
  return BUILDERS[command as InspectCommand](args);
}
