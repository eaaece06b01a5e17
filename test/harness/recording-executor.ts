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
  /** Runs only if the part at this index exited 0 (`after` in batch()). */
  afterIndex: number | null;
}

/** A word as `render` quotes it (`'…'` with `'\''` for a quote inside), back to its text. */
function unquote(word: string): string {
  if (!word.startsWith("'")) return word;
  return word.slice(1, -1).replaceAll("'\\''", "'");
}

/** The scaffolding of concurrent parts: the temp dir, the background starts, the cleanup (not parts). */
const CONCURRENT_SCAFFOLD = /^(__bd=\$\(mktemp |if \[ -n "\$__bd" \]; then \{ sh -c |\[ -n "\$__bd" \] && rm -rf )/;
/** A concurrent part's body: its output from the background job, or the part itself run in place. */
const CONCURRENT_BODY = /; else sh -c (.+) < \/dev\/null; __c\d+=\$\?; fi$/s;

/** The parts of a `batch()` script, recognised by its shape (printf begin, sh -c part, raw end), or null. */
function batchOf(cmd: Cmd): { nonce: string; parts: BatchedPart[] } | null {
  if (cmd.kind !== 'seq') return null;
  let nonce = '';
  const parts: BatchedPart[] = [];
  const items = cmd.parts.filter((c) => !(c.kind === 'raw' && CONCURRENT_SCAFFOLD.test(c.text)));
  let i = 0;
  while (i < items.length) {
    let triple: Cmd[];
    let afterIndex: number | null = null;
    const item = items[i]!;
    // A part that runs after another: `[ "$__s<i>" = 0 ] && { begin; sh -c …; end; }`.
    const [test, framed] = item.kind === 'and' ? item.parts : [];
    if (test?.kind === 'raw' && framed?.kind === 'seq') {
      const m = /^\[ "\$__s(\d+)" = 0 \]$/.exec(test.text);
      if (!m) return null;
      afterIndex = Number(m[1]);
      triple = [...framed.parts];
      i += 1;
    } else {
      triple = items.slice(i, i + 3);
      i += 3;
    }
    if (triple.length !== 3) return null;
    const [begin, body, end] = triple as [Cmd, Cmd, Cmd];
    if (begin.kind !== 'exec' || begin.argv[0] !== 'printf' || end.kind !== 'raw') return null;
    const m = /^([a-f0-9]+):begin:(.+)$/.exec(String(begin.argv[2]));
    if (!m) return null;
    nonce = m[1]!;
    const concurrent = body.kind === 'raw' ? CONCURRENT_BODY.exec(body.text) : null;
    if (concurrent) {
      parts.push({ name: m[2]!, text: unquote(concurrent[1]!), stdin: false, afterIndex });
      continue;
    }
    const stdin = body.kind === 'exec';
    const sh = body.kind === 'redirect' ? body.cmd : body;
    if (sh.kind !== 'exec' || sh.argv[0] !== 'sh' || sh.argv[1] !== '-c') return null;
    parts.push({ name: m[2]!, text: String(sh.argv[2]), stdin, afterIndex });
  }
  return parts.length > 0 ? { nonce, parts } : null;
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
    const codes: (number | null)[] = [];
    // Lines go out as each part ends, as a real script's would (steps read a chained script's parts so).
    const emit = (text: string) => {
      for (const line of text.replace(/\n$/, '').split('\n')) opts.onLine?.('stdout', line);
    };
    for (const p of b.parts) {
      if (p.afterIndex !== null && codes[p.afterIndex] !== 0) {
        codes.push(null);
        continue;
      }
      const r = await this.runOne(raw(p.text), {
        ...(p.stdin && opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      });
      codes.push(r.exitCode);
      const framed = `${b.nonce}:begin:${p.name}\n${r.stdout}\n${b.nonce}:end:${r.exitCode}\n`;
      emit(framed);
      stdout += framed;
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
    // The server-side health wait (core/commands/http.ts healthWait), unless scripted: answered as curl would,
    // each probe from `tcpAnswer` (what the port says), so tests script a release's answers in one place.
    if (!rule && full.includes('command -v curl') && full.includes('probe $n')) return this.healthWait(full, opts);
    const res = rule ? (typeof rule.result === 'function' ? rule.result(full) : rule.result) : {};
    // Files written from stdin in one transfer (core/commands/fs.ts writeFilesFromStdin) are recorded as puts.
    if (full.includes('IFS= read -r __f') && stdin !== undefined && (res.exitCode ?? 0) === 0)
      this.filesFrom(full, stdin);
    const out = { exitCode: res.exitCode ?? 0, stdout: res.stdout ?? '', stderr: res.stderr ?? '', durationMs: 0 };
    for (const line of out.stdout.split('\n').filter(Boolean)) opts.onLine?.('stdout', line);
    return out;
  }

  private filesFrom(full: string, stdin: string | Uint8Array | Secret): void {
    const payload = isSecret(stdin) ? stdin.reveal() : Buffer.from(stdin).toString('utf8');
    const lines = payload.split('\n');
    const targets = [...full.matchAll(/chmod (\d{4}) \S+ && mv -f -- \S+ (\S+?)(?:;|\s|$)/g)];
    targets.forEach((t, i) => {
      const content = Buffer.from(lines[i] ?? '', 'base64').toString('utf8');
      const path = t[2]!;
      this.puts.push({ path, content, secret: isSecret(stdin), mode: Number.parseInt(t[1]!, 8) });
      this.files.set(path, content);
    });
  }

  private async healthWait(full: string, opts: RunOptions): Promise<RunResult> {
    const m = / health http:\/\/127\.0\.0\.1:(\d+)\S* (?:'([\d ]*)'|(\d+)) (\d+) ([\d.]+) /.exec(full);
    const project = /label=com\.docker\.compose\.project=([a-z0-9-]+)/.exec(full)?.[1];
    if (!m || !project) throw new Error(`recording executor: unreadable health wait: ${full}`);
    const port = Number(m[1]);
    const accept = (m[2] ?? m[3] ?? '').split(' ').filter(Boolean).map(Number);
    const deadline = Date.now() + Number(m[4]) * 1000;
    let stdout = '';
    const done = (exitCode: number) => ({ exitCode, stdout, stderr: '', durationMs: 0 });
    for (let n = 1; ; n++) {
      this.tcp.push(port);
      const answer = this.tcpAnswer(port);
      const status = answer instanceof Error ? null : /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(answer)?.[1];
      const line = `probe ${n} ${status ?? '000'} ${status ? 0 : 7}`;
      stdout += `${line}\n`;
      opts.onLine?.('stdout', line);
      const code = Number(status ?? 0);
      if ((code >= 200 && code < 400) || accept.includes(code)) return done(0);
      if (n % 3 === 0) {
        const running = await this.runOne(
          raw(`docker ps -q --filter label=com.docker.compose.project=${project} | grep -q .`),
        );
        if (running.exitCode !== 0) return done(96);
      }
      if (Date.now() >= deadline) return done(95);
      await new Promise((r) => setTimeout(r, Number(m[5]) * 1000));
    }
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
