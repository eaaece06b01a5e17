// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell text below uses ${var#pattern} expansions, not JS templates
import { execFile, spawn } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { InfraktError } from '../../core/errors.js';
import type { PtyOptions, PtySession } from '../../core/executor.js';
import { signalExitCode } from '../ssh/exec-errors.js';

const HUNG_UP = 129;
const size = (n: number) => String(Math.max(1, Math.min(1000, Math.floor(Number.isFinite(n) ? n : 1))));

/**
 * A pseudo-terminal on this machine (servers with host `local`) without a native module: util-linux `script`
 * allocates it and relays our pipes to it. The window size is set on the terminal with `stty` (at start, and
 * on resize through the terminal's device), which makes the kernel send SIGWINCH like any terminal would.
 */
export function openLocalPty(command: string | null, opts: PtyOptions): Promise<PtySession> {
  const program = command ?? 'exec "${SHELL:-/bin/sh}" -l';
  // stty runs on the new terminal before the program: its size is right from the first prompt.
  const inner = `stty rows ${size(opts.rows)} cols ${size(opts.cols)} 2>/dev/null; ${program}`;
  const child = spawn('script', ['-qfec', inner, '/dev/null'], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TERM: opts.term ?? 'xterm-256color' },
  });
  return new Promise((resolve, reject) => {
    child.once('error', (e) =>
      reject(
        new InfraktError('UNSUPPORTED', `cannot open a terminal on this machine: ${e.message}`, {
          hint: 'install util-linux (it provides script)',
        }),
      ),
    );
    child.once('spawn', () => resolve(session()));
  });

  function session(): PtySession {
    const listeners: ((b: Buffer) => void)[] = [];
    const emit = (b: Buffer) => {
      for (const l of listeners) l(b);
    };
    child.stdout?.on('data', emit);
    child.stderr?.on('data', emit);
    child.stdin?.on('error', () => {});
    let open = true;
    const exited = new Promise<number>((res) => {
      child.once('close', (code, sig) => {
        open = false;
        res(typeof code === 'number' ? code : sig === 'SIGHUP' ? HUNG_UP : signalExitCode(sig));
      });
    });
    return {
      write: (data) => {
        if (open) child.stdin?.write(data);
      },
      resize: (cols, rows) => {
        if (open && child.pid) void resizeTerminal(child.pid, cols, rows);
      },
      onData: (l) => {
        listeners.push(l);
      },
      pause: () => {
        child.stdout?.pause();
        child.stderr?.pause();
      },
      resume: () => {
        child.stdout?.resume();
        child.stderr?.resume();
      },
      exited,
      close: () => {
        if (!open || !child.pid) return;
        open = false;
        try {
          process.kill(-child.pid, 'SIGHUP');
        } catch {
          // already gone
        }
      },
    };
  }
}

// The terminal device is the program's stdin (script's child); stty on it resizes and signals the program.
async function resizeTerminal(scriptPid: number, cols: number, rows: number): Promise<void> {
  try {
    const children = (await readFile(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8')).trim().split(/\s+/);
    const device = await readlink(`/proc/${children[0]}/fd/0`);
    if (!/^\/dev\/pts\/\d+$/.test(device)) return;
    await new Promise((r) => execFile('stty', ['-F', device, 'rows', size(rows), 'cols', size(cols)], () => r(null)));
  } catch {
    // the program ended meanwhile: nothing to resize
  }
}
