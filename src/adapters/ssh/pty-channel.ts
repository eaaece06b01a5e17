import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import { InfraktError } from '../../core/errors.js';
import type { PtyOptions, PtySession } from '../../core/executor.js';
import { signalExitCode } from './exec-errors.js';

/** Exit status reported for a session that ended without one (hung up, connection lost). */
export const HUNG_UP = 129;

const clampSize = (n: number, max: number) => Math.max(1, Math.min(max, Math.floor(Number.isFinite(n) ? n : 1)));

/**
 * A program on a pseudo-terminal over its own SSH channel (`exec` with a pty request, or the login shell for
 * `command === null`). Not wrapped in a process group or framed like other commands: the terminal is the
 * program's, and closing the channel hangs it up (sshd sends SIGHUP to the terminal's session).
 */
export function openPtyChannel(
  client: Client,
  target: string,
  command: string | null,
  opts: PtyOptions,
): Promise<PtySession> {
  const pty: PseudoTtyOptions = {
    cols: clampSize(opts.cols, 1000),
    rows: clampSize(opts.rows, 1000),
    term: opts.term ?? 'xterm-256color',
  };
  return new Promise((resolve, reject) => {
    const done = (err: Error | undefined, ch: ClientChannel) => {
      if (err) {
        reject(
          new InfraktError('COMMAND_FAILED', `cannot open a terminal on ${target}: ${err.message}`, {
            details: { host: target },
          }),
        );
        return;
      }
      resolve(session(ch));
    };
    try {
      if (command === null) client.shell(pty, done);
      else client.exec(command, { pty }, done);
    } catch (e) {
      reject(new InfraktError('SSH_UNREACHABLE', `the connection to ${target} is gone: ${(e as Error).message}`));
    }
  });
}

function session(ch: ClientChannel): PtySession {
  const listeners: ((b: Buffer) => void)[] = [];
  let code: number | null = null;
  ch.on('data', (b: Buffer) => {
    for (const l of listeners) l(b);
  });
  // With a pty the remote side merges stderr into the terminal; anything still sent apart is shown too.
  ch.stderr.on('data', (b: Buffer) => {
    for (const l of listeners) l(b);
  });
  ch.on('exit', (c: number | null, sig?: string) => {
    code = typeof c === 'number' ? c : signalExitCode(sig);
  });
  const exited = new Promise<number>((resolve) => {
    ch.on('close', (c?: number | null, sig?: string) => {
      if (code === null && typeof c === 'number') code = c;
      else if (code === null && typeof sig === 'string') code = signalExitCode(sig);
      resolve(code ?? HUNG_UP);
    });
  });
  let open = true;
  void exited.then(() => {
    open = false;
  });
  return {
    write: (data) => {
      if (open) ch.write(data);
    },
    resize: (cols, rows) => {
      if (open) ch.setWindow(clampSize(rows, 1000), clampSize(cols, 1000), 0, 0);
    },
    onData: (l) => {
      listeners.push(l);
    },
    // The SSH window stops growing while paused: sshd stops reading the terminal and the program blocks.
    pause: () => {
      ch.pause();
      ch.stderr.pause();
    },
    resume: () => {
      ch.resume();
      ch.stderr.resume();
    },
    exited,
    close: () => {
      if (!open) return;
      open = false;
      ch.close();
    },
  };
}
