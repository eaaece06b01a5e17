import { randomBytes } from 'node:crypto';
import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import type { Cmd } from '../../core/cmd/index.js';
import * as compose from '../../core/commands/compose.js';
import { hangupGuard, killSessionArgv, removeContainer, SESSION_ENV } from '../../core/commands/session.js';
import { InfraktError, validation } from '../../core/errors.js';
import type { PtySession, RunResult, StreamName } from '../../core/executor.js';
import { releaseTarget, servicesTarget } from '../../core/plans/deploy.js';
import { releaseProject } from '../../core/plans/layout.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { withServer } from '../shared/server-session.js';
import { resolveApp } from './apps.js';
import { keptRelease, releaseDetails } from './releases.js';

/** `exec`: in the running container. `run`: a one-off container of the current release, removed after. */
export type OneOffMode = 'exec' | 'run';

export interface OneOffInput {
  readonly server?: string;
  /** A service of a compose app (default: the one that carries the app's port). */
  readonly service?: string;
  /** The program and its arguments, passed as they are (no shell unless the user names one). */
  readonly command: readonly string[];
}

const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;
const MAX_COMMAND_BYTES = 64 * 1024;

/** A login shell where there is bash, else sh (busybox and alpine images have only sh). */
export const SHELL_COMMAND = ['sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'];

function checkCommand(command: readonly string[]): string[] {
  if (command.length === 0 || command[0] === '') {
    throw validation('no command given', 'put the command after --, e.g. infrakt app exec web -- ls -la');
  }
  let bytes = 0;
  for (const a of command) {
    if (a.includes('\0')) throw validation('a command argument contains a NUL byte');
    bytes += Buffer.byteLength(a) + 1;
  }
  if (bytes > MAX_COMMAND_BYTES) throw validation(`the command is longer than ${MAX_COMMAND_BYTES / 1024} KiB`);
  return [...command];
}

interface OneOffTarget {
  app: AppRow;
  server: ServerRow;
  service: string;
  target: compose.ComposeTarget;
}

/** The current release of an app and the compose target of the chosen service (checked locally). */
async function oneOffTarget(ctx: Ctx, name: string, input: Omit<OneOffInput, 'command'>): Promise<OneOffTarget> {
  const { app, server } = await resolveApp(ctx, name, input.server);
  if (app.app_type.startsWith('db:')) {
    throw new InfraktError('UNSUPPORTED', `'${app.name}' is a database`, {
      hint: 'databases are managed with infrakt db',
    });
  }
  if (app.current_release === null) {
    throw new InfraktError('STATE', `'${app.name}' is not deployed`, {
      hint: `deploy it first: infrakt app deploy ${app.name}`,
    });
  }
  const details = releaseDetails(await keptRelease(ctx, app, app.current_release));
  const routed = details.service || 'app';
  const service = input.service ?? routed;
  if (!SERVICE_NAME.test(service)) throw validation(`invalid service name '${service}'`);
  const naming = { app: app.name, root: server.root_dir, flavour: details.flavour ?? 'v2' };
  if (service === routed) {
    return { app, server, service, target: releaseTarget({ ...naming, release: app.current_release }) };
  }
  if (app.app_type === 'image') {
    throw validation(`'${app.name}' is an image app: its one service is '${routed}'`, 'drop --service');
  }
  return { app, server, service, target: servicesTarget(naming) };
}

/** The guarded command of a session: exec in the running container, or run a named one-off container. */
function sessionCommand(t: OneOffTarget, mode: OneOffMode, argv: readonly string[], tty: boolean): Cmd {
  const session = randomBytes(8).toString('hex');
  const env = { [SESSION_ENV]: session };
  if (mode === 'exec') {
    return hangupGuard(
      compose.execIn(t.target, t.service, argv, { tty, env }),
      compose.execIn(t.target, t.service, killSessionArgv(session), { tty: false }),
    );
  }
  const name = `${releaseProject(t.app.name, t.app.current_release!)}-run-${session}`;
  return hangupGuard(compose.runOneOff(t.target, t.service, argv, { tty, env, name }), removeContainer(name));
}

// The audit trail names the program only: arguments may carry secrets (a connection string, a token).
const auditOneOff = (ctx: Ctx, action: string, t: OneOffTarget, argv: readonly string[]) =>
  audit(ctx, action, `${t.server.name}/${t.app.name}`, { service: t.service, program: argv[0] ?? null });

export interface OneOffRun {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly onLine?: (stream: StreamName, line: string) => void;
}

/**
 * `app exec` / `app run` without a terminal: output line by line, the command's exit status in the result
 * (not an error: the caller passes it through). Cancel and timeout end the command in the container too.
 */
export async function runOneOff(
  ctx: Ctx,
  name: string,
  mode: OneOffMode,
  input: OneOffInput & OneOffRun,
): Promise<RunResult> {
  const argv = checkCommand(input.command);
  if (input.timeoutMs !== undefined && (!Number.isInteger(input.timeoutMs) || input.timeoutMs < 1000)) {
    throw validation('the timeout must be a whole number of seconds, at least 1');
  }
  const t = await oneOffTarget(ctx, name, input);
  const cmd = sessionCommand(t, mode, argv, false);
  const ex = await ctx.connect(t.server, input.signal ? { signal: input.signal } : {});
  try {
    await auditOneOff(ctx, `app.${mode}`, t, argv);
    return await ex.stream(cmd, input.onLine ?? (() => {}), {
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
    });
  } finally {
    await ex.close();
  }
}

export interface TerminalInput {
  readonly server?: string;
  readonly service?: string;
  /** `shell` is `exec` of a login shell. */
  readonly mode: OneOffMode | 'shell';
  readonly command?: readonly string[];
  readonly cols: number;
  readonly rows: number;
  readonly signal?: AbortSignal;
}

export interface OpenTerminal {
  readonly session: PtySession;
  /** What the terminal is attached to, e.g. `web on prod-1 (service app, release 4)`. */
  readonly title: string;
}

export interface PreparedTerminal {
  readonly title: string;
  /** Connects and starts the program on a pty of this size. */
  open(size: { cols: number; rows: number; signal?: AbortSignal }): Promise<OpenTerminal>;
}

/**
 * An interactive terminal in an app, checked locally first (the app, its release, the service, the command):
 * `open` then makes one connection and one pty. The connection closes when the program ends or the session is
 * closed (hang-up), and the session guard ends what the program left running in the container.
 */
export async function prepareAppTerminal(
  ctx: Ctx,
  name: string,
  input: Omit<TerminalInput, 'cols' | 'rows' | 'signal'>,
): Promise<PreparedTerminal> {
  const argv = input.mode === 'shell' ? SHELL_COMMAND : checkCommand(input.command ?? []);
  const t = await oneOffTarget(ctx, name, input);
  const title = `${t.app.name} on ${t.server.name} (service ${t.service}, release ${t.app.current_release})`;
  return {
    title,
    async open(size) {
      const cmd = sessionCommand(t, input.mode === 'shell' ? 'exec' : input.mode, argv, true);
      const ex = await ctx.connect(t.server, size.signal ? { signal: size.signal } : {});
      let session: PtySession;
      try {
        session = await ex.pty(cmd, { cols: size.cols, rows: size.rows });
      } catch (e) {
        await ex.close();
        throw e;
      }
      void session.exited.finally(() => ex.close());
      await auditOneOff(ctx, `app.${input.mode}`, t, argv);
      return { session, title };
    },
  };
}

/** `app shell`, `app exec -i`, `app run -i`: prepare and open in one go. */
export async function openAppTerminal(ctx: Ctx, name: string, input: TerminalInput): Promise<OpenTerminal> {
  const prepared = await prepareAppTerminal(ctx, name, input);
  return prepared.open({ cols: input.cols, rows: input.rows, ...(input.signal ? { signal: input.signal } : {}) });
}

export interface OneOffJobResult {
  readonly app: string;
  readonly exitCode: number;
  readonly durationMs: number;
}

/**
 * `app exec` / `app run` as a job (the API and the dashboard): checked before it starts, the output in the job
 * log, the exit status in the result; a non-zero exit fails the job. Cancelling the job ends the command in the
 * container (the session guard runs its cleanup when the channel closes).
 */
export async function prepareOneOffJob(
  ctx: Ctx,
  name: string,
  mode: OneOffMode,
  input: OneOffInput & { readonly timeoutMs?: number },
): Promise<JobPlan<OneOffJobResult>> {
  const argv = checkCommand(input.command);
  if (input.timeoutMs !== undefined && (!Number.isInteger(input.timeoutMs) || input.timeoutMs < 1000)) {
    throw validation('the timeout must be a whole number of milliseconds, at least 1000');
  }
  const t = await oneOffTarget(ctx, name, input);
  return {
    spec: {
      kind: `app.${mode}`,
      target: `${t.server.name}/${t.app.name}`,
      serverId: t.server.id,
      appId: t.app.id,
      // The program only: arguments may carry secrets.
      params: { app: t.app.name, service: t.service, program: argv[0] ?? null },
      plannedSteps: ['connect', mode],
    },
    body: (job) =>
      withServer(ctx, job, t.server, { lock: null }, ({ ex }) =>
        job.step(mode, async (s) => {
          await auditOneOff(ctx, `app.${mode}`, t, argv);
          const r = await ex.stream(sessionCommand(t, mode, argv, false), (stream, line) => s.log(line, stream), {
            signal: job.signal,
            ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
          });
          s.exitCode(r.exitCode);
          if (r.exitCode !== 0) {
            throw new InfraktError('COMMAND_FAILED', `the command exited ${r.exitCode} in ${t.app.name}`, {
              details: { exitCode: r.exitCode },
              hint: 'its output is in the job log',
            });
          }
          return { app: t.app.name, exitCode: r.exitCode, durationMs: r.durationMs };
        }),
      ),
  };
}

/**
 * The command that runs `argv` in an app's running container (the routed service, current release) without a
 * terminal, for a step of another job on a connection it already holds (the pre-backup hook). Checked locally.
 */
export async function execInAppCommand(ctx: Ctx, name: string, server: string, argv: readonly string[]): Promise<Cmd> {
  const t = await oneOffTarget(ctx, name, { server });
  return sessionCommand(t, 'exec', checkCommand(argv), false);
}
