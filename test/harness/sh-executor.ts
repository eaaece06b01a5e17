import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import type { Cmd } from '../../src/core/cmd/index.js';
import { raw, render } from '../../src/core/cmd/index.js';
import { type Executor, NO_STATS, type RunOptions, type RunResult } from '../../src/core/executor.js';
import { isSecret } from '../../src/core/secret.js';

/**
 * A minimal Executor for unit tests: renders the Cmd and runs it with the real `/bin/sh -c`
 * on this machine (stdin as given). Enough for builders whose meaning lives in the shell.
 */
export function shExecutor(): Executor & { commands: string[] } {
  const commands: string[] = [];
  const run = (cmd: Cmd, opts: RunOptions = {}): Promise<RunResult> =>
    new Promise((resolve, reject) => {
      const text = render(cmd);
      commands.push(render(cmd, { redact: true }));
      const started = Date.now();
      const child = spawn('/bin/sh', ['-c', text], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ exitCode: code ?? 128, stdout, stderr, durationMs: Date.now() - started }));
      const input = opts.stdin;
      child.stdin.on('error', () => {});
      child.stdin.end(input === undefined ? undefined : isSecret(input) ? input.reveal() : input);
    });
  return {
    target: 'sh@test',
    commands,
    run,
    stream: (cmd, _onLine, opts) => run(cmd, opts),
    runWithInput: async (cmd, input, opts) => {
      const chunks: Buffer[] = [];
      for await (const chunk of input) chunks.push(chunk as Buffer);
      return run(cmd, { ...opts, stdin: Buffer.concat(chunks) });
    },
    runLine: (line, opts) => run(raw(line), opts),
    stats: () => ({ ...NO_STATS, commands: commands.length }),
    put: async () => {
      throw new Error('not supported in shExecutor');
    },
    get: async () => {
      throw new Error('not supported in shExecutor');
    },
    connectTcp: async (): Promise<Duplex> => {
      throw new Error('not supported in shExecutor');
    },
    pty: async () => {
      throw new Error('not supported in shExecutor');
    },
    close: async () => {},
  };
}
