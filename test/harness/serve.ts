// `infrakt serve` as the browser tests run it: the built CLI on 127.0.0.1, port 0 (it picks a free port and
// prints it), its own INFRAKT_HOME; the URL and the owner's API key come from its output and its home.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_BIN, REPO_ROOT } from './cli.js';
import { waitFor } from './sshd.js';

export interface Served {
  /** http://127.0.0.1:PORT */
  readonly base: string;
  /** The owner's API key (INFRAKT_HOME/api_key). */
  readonly key: string;
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** SIGTERM, then waits for it to exit. */
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** More `infrakt serve` flags, e.g. `--no-watch`, `--catalog-dir DIR`. */
  readonly args?: readonly string[];
  /** Also wait until the output matches this (e.g. /reverse proxy/: the watchers have started). */
  readonly ready?: RegExp;
  readonly timeoutMs?: number;
  /** Node options before the CLI, e.g. `--heapsnapshot-signal=SIGUSR2` (Node's own, not V8 flags). */
  readonly nodeArgs?: readonly string[];
}

export async function startServe(home: string, opts: ServeOptions = {}): Promise<Served> {
  let out = '';
  const child = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), CLI_BIN, 'serve', '--host', '127.0.0.1', '--port', '0', ...(opts.args ?? [])],
    { cwd: REPO_ROOT, env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const collect = (b: Buffer) => {
    out += b.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  let base = '';
  const keyFile = join(home, 'api_key');
  try {
    await waitFor(
      'infrakt serve to listen',
      () => {
        if (child.exitCode !== null) throw new Error(`infrakt serve exited: ${out}`);
        base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
        return base !== '' && existsSync(keyFile) && (!opts.ready || opts.ready.test(out));
      },
      opts.timeoutMs ?? 30_000,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, key: readFileSync(keyFile, 'utf8').trim(), child, log: () => out, stop };
}
