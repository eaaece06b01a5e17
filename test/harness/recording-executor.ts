// An Executor for unit tests of plans and services: records every Cmd (rendered, redacted) and every put,
// and replays scripted results matched by a substring or regexp of the rendered command.
import { Duplex, type Readable } from 'node:stream';
import type { Cmd } from '../../src/core/cmd/index.js';
import { render } from '../../src/core/cmd/index.js';
import type { Executor, PutOptions, RunOptions, RunResult, StreamName } from '../../src/core/executor.js';
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
  /** Answers for connectTcp: the HTTP status line a port returns, or an error. */
  tcpAnswer: (port: number) => string | Error = () => 'HTTP/1.1 200 OK\r\n\r\n';

  /** Scripts a result for commands whose rendered text contains / matches `match` (first rule wins). */
  on(match: string | RegExp, result: ScriptedResult | ((cmd: string) => ScriptedResult), times = Infinity): this {
    this.rules.push({ match, result, times });
    return this;
  }

  async run(cmd: Cmd, opts: RunOptions = {}): Promise<RunResult> {
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

  async close(): Promise<void> {
    this.closed = true;
  }
}
