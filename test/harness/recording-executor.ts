// An Executor for unit tests of plans and services: records every Cmd (rendered, redacted) and every put,
// and replays scripted results matched by a substring or regexp of the rendered command.
import { Duplex, type Readable } from 'node:stream';
import type { Cmd } from '../../src/core/cmd/index.js';
import { raw, render } from '../../src/core/cmd/index.js';
import {
  type ExecStats,
  type Executor,
  NO_STATS,
  type PutOptions,
  type RunOptions,
  type RunResult,
  type StreamName,
} from '../../src/core/executor.js';
import { isSecret, type Secret } from '../../src/core/secret.js';

export interface ScriptedResult {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

interface Rule {
  match: string | RegExp;
  result: ScriptedResult | ((cmd: string) => ScriptedResult);
  /** Use this many times (default: forever). */
  times: number;
}

interface BatchedPart {
  name: string;
  text: string;
  stdin: boolean;
}

/** The parts of a `batch()` script, recognised by its shape (printf begin, sh -c part, raw end), or null. */
function batchOf(cmd: Cmd): { nonce: string; parts: BatchedPart[] } | null {
  if (cmd.kind !== 'seq' || cmd.parts.length % 3 !== 0) return null;
  let nonce = '';
  const parts: BatchedPart[] = [];
  for (let i = 0; i < cmd.parts.length; i += 3) {
    const [begin, body, end] = [cmd.parts[i]!, cmd.parts[i + 1]!, cmd.parts[i + 2]!];
    if (begin.kind !== 'exec' || begin.argv[0] !== 'printf' || end.kind !== 'raw') return null;
    const m = /^([a-f0-9]+):begin:(.+)$/.exec(String(begin.argv[2]));
    if (!m) return null;
    nonce = m[1]!;
    const stdin = body.kind === 'exec';
    const sh = body.kind === 'redirect' ? body.cmd : body;
    if (sh.kind !== 'exec' || sh.argv[0] !== 'sh' || sh.argv[1] !== '-c') return null;
    parts.push({ name: m[2]!, text: String(sh.argv[2]), stdin });
  }
  return { nonce, parts };
}

export interface RecordedPut {
  path: string;
  /** Content as text; secrets revealed so tests can check what would reach the server. */
  content: string;
  secret: boolean;
  mode: number | undefined;
}

export class RecordingExecutor implements Executor {
  readonly target = 'recording';
  /** Every command run, rendered with secrets redacted (what a log would show). */
  readonly commands: string[] = [];
  readonly stdins: (string | null)[] = [];
  readonly puts: RecordedPut[] = [];
  readonly files = new Map<string, string>();
  readonly tcp: number[] = [];
  closed = false;
  private rules: Rule[] = [];
  /** Batched scripts run (each also recorded part by part in `commands`). */
  batches = 0;
  /** Answers for connectTcp: the HTTP status line a port returns, or an error. */
  tcpAnswer: (port: number) => string | Error = () => 'HTTP/1.1 200 OK\r\n\r\n';

  /** Scripts a result for commands whose rendered text contains / matches `match` (first rule wins). */
  on(match: string | RegExp, result: ScriptedResult | ((cmd: string) => ScriptedResult), times = Infinity): this {
    this.rules.push({ match, result, times });
    return this;
  }

  async run(cmd: Cmd, opts: RunOptions = {}): Promise<RunResult> {
    const b = batchOf(cmd);
    if (b) return this.runBatch(b, opts);
    return this.runOne(cmd, opts);
  }

  /**
   * A `batch()` script (core/cmd/batch.ts) is recorded and answered part by part, as if each part had been
   * run on its own, and its output framed as the script would frame it.
   */
  private async runBatch(b: { nonce: string; parts: BatchedPart[] }, opts: RunOptions): Promise<RunResult> {
    this.batches++;
    let stdout = '';
    let stderr = '';
    for (const p of b.parts) {
      const r = await this.runOne(raw(p.text), {
        ...(p.stdin && opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      });
      stdout += `${b.nonce}:begin:${p.name}\n${r.stdout}\n${b.nonce}:end:${r.exitCode}\n`;
      stderr += r.stderr;
    }
    return { exitCode: 0, stdout, stderr, durationMs: 0 };
  }

  private async runOne(cmd: Cmd, opts: RunOptions = {}): Promise<RunResult> {
    const shown = render(cmd, { redact: true });
    this.commands.push(shown);
    const stdin = opts.stdin;
    this.stdins.push(
      stdin === undefined ? null : isSecret(stdin) ? '[redacted]' : typeof stdin === 'string' ? stdin : '',
    );
    const full = render(cmd);
    const rule = this.rules.find(
      (r) => r.times > 0 && (typeof r.match === 'string' ? full.includes(r.match) : r.match.test(full)),
    );
    if (rule) rule.times--;
    const res = rule ? (typeof rule.result === 'function' ? rule.result(full) : rule.result) : {};
    const out = { exitCode: res.exitCode ?? 0, stdout: res.stdout ?? '', stderr: res.stderr ?? '', durationMs: 0 };
    for (const line of out.stdout.split('\n').filter(Boolean)) opts.onLine?.('stdout', line);
    return out;
  }

  /** Bytes each runWithInput received (the stream is read to its end). */
  readonly uploads: number[] = [];

  async runWithInput(cmd: Cmd, input: Readable, opts: Omit<RunOptions, 'stdin'> = {}): Promise<RunResult> {
    let bytes = 0;
    for await (const chunk of input) bytes += (chunk as Buffer).length;
    this.uploads.push(bytes);
    return this.run(cmd, opts);
  }

  /** Recorded like run(), as the raw line. */
  async runLine(line: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(raw(line), opts);
  }

  stats(): ExecStats {
    return { ...NO_STATS, commands: this.commands.length };
  }

  async stream(cmd: Cmd, onLine: (s: StreamName, l: string) => void, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(cmd, { ...opts, onLine });
  }

  async put(path: string, content: string | Uint8Array | Secret, opts: PutOptions = {}): Promise<void> {
    const text = isSecret(content)
      ? content.reveal()
      : typeof content === 'string'
        ? content
        : Buffer.from(content).toString('utf8');
    this.puts.push({ path, content: text, secret: isSecret(content), mode: opts.mode });
    this.files.set(path, text);
  }

  async get(path: string): Promise<Buffer> {
    const f = this.files.get(path);
    if (f === undefined) throw new Error(`no such file: ${path}`);
    return Buffer.from(f);
  }

  async connectTcp(port: number): Promise<Duplex> {
    this.tcp.push(port);
    const answer = this.tcpAnswer(port);
    if (answer instanceof Error) throw answer;
    // A fake socket: whatever is written is the request; the scripted answer comes back, then EOF.
    const sock: Duplex = new Duplex({
      read() {},
      write(_chunk, _enc, cb) {
        setImmediate(() => {
          sock.push(answer);
          sock.push(null);
        });
        cb();
      },
    });
    return sock;
  }

  async pty(): Promise<never> {
    throw new Error('a terminal is not supported by the recording executor');
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
