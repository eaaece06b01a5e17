import type { Command } from 'commander';
import { type OneOffMode, openAppTerminal, runOneOff } from '../../services/apps/app-exec.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { printJson } from '../output.js';
import { attachTerminal } from '../terminal.js';

/** The exit status of the remote command becomes this process's (after the state is closed). */
function exitWith(code: number): void {
  if (code !== 0) process.exitCode = code;
}

function oneOffCommand(app: Command, mode: OneOffMode, what: string): void {
  app
    .command(`${mode} <name>`)
    .description(what)
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('--server <server>', 'server of the app (when the name is used on several)')
    .option('--service <service>', 'another service of a compose app (default: the one with the app port)')
    .option('-i, --interactive', 'attach this terminal (a pty on the server: prompts, colours, Ctrl-C)')
    .option('--timeout <seconds>', 'end the command after this long (not with -i)', intOption)
    .option('--json', 'print { exitCode, stdout, stderr, durationMs } instead of streaming the output')
    .action(async (name: string, command: string[], o) => {
      const code = await withCtx(async (ctx) => {
        const base = { server: o.server, service: o.service };
        if (o.interactive) {
          return attachTerminal((size) => openAppTerminal(ctx, name, { ...base, mode, command, ...size }));
        }
        const ac = new AbortController();
        const stop = () => ac.abort();
        process.once('SIGINT', stop);
        try {
          const r = await runOneOff(ctx, name, mode, {
            ...base,
            command,
            signal: ac.signal,
            ...(o.timeout !== undefined ? { timeoutMs: o.timeout * 1000 } : {}),
            ...(o.json
              ? {}
              : { onLine: (s, line) => (s === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`) }),
          });
          if (o.json) printJson(r);
          return r.exitCode;
        } finally {
          process.off('SIGINT', stop);
        }
      });
      exitWith(code);
    });
}

/** `app exec|run|shell`: commands in the current release (services/apps/app-exec). */
export function registerAppExecCommands(app: Command): void {
  oneOffCommand(
    app,
    'exec',
    'run a command in the running container of the current release (exit status passed through)',
  );
  oneOffCommand(
    app,
    'run',
    'run a command in a one-off container of the current release (its env and volumes), removed after',
  );
  app
    .command('shell <name>')
    .description('interactive shell in the running container (bash when the image has it, else sh)')
    .option('--server <server>', 'server of the app (when the name is used on several)')
    .option('--service <service>', 'another service of a compose app')
    .action(async (name: string, o) => {
      const code = await withCtx((ctx) =>
        attachTerminal((size) =>
          openAppTerminal(ctx, name, { server: o.server, service: o.service, mode: 'shell', ...size }),
        ),
      );
      exitWith(code);
    });
}
