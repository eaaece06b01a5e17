import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import { FrameParser, type Marker } from './frame-parser.js';
import { BEGIN, END, HELLO, PGID, preamble, request, SHELL_PROGRAM } from './shell-protocol.js';

/** Receives one command's output and fate from a RemoteShell. */
export interface ShellJobSink {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /** The command's process group (printed by the shell once the command runs). */
  onPgid(pgid: number): void;
  onEnd(exitCode: number): void;
  /**
   * The shell ended (or never started) before the command's end marker. `started` is false when the
   * shell never began the command: it can safely run elsewhere.
   */
  onLost(why: string, started: boolean): void;
}

type StreamName = 'stdout' | 'stderr';

interface Current {
  readonly id: number;
  readonly sink: ShellJobSink;
  readonly inside: Record<StreamName, boolean>;
  readonly ended: Record<StreamName, number | null>;
  begun: boolean;
}

/**
 * One persistent `sh` on one exec channel (protocol in shell-protocol.ts). Runs one command at a
 * time; the pool (shell-pool.ts) decides which shell runs what. A request can be written right after
 * the open, before the shell said hello: the login shell's start-up overlaps the round trips.
 */
export class RemoteShell {
  readonly #nonce = randomBytes(16).toString('hex');
  readonly #parsers = { stdout: new FrameParser(this.#nonce), stderr: new FrameParser(this.#nonce) };
  #channel: ClientChannel | null = null;
  #queued: Buffer[] = [];
  #nextId = 1;
  #current: Current | null = null;
  #dead: string | null = null;
  #helloTimer: NodeJS.Timeout | undefined;
  /** The shell's pid on the server, from its hello (null until then). */
  pid: number | null = null;
  /** Called once, when the shell's hello arrived (it runs and speaks the protocol). */
  onHello: (() => void) | null = null;
  /** Called each time the shell can take the next command; not after it died. */
  onIdle: (() => void) | null = null;
  /** Called once when the shell ended or failed to start. */
  onDead: ((why: string, hello: boolean) => void) | null = null;

  constructor(client: Client, helloTimeoutMs: number) {
    this.#helloTimer = setTimeout(
      () => this.#die(`the remote shell did not start within ${Math.round(helloTimeoutMs / 1000)} s`),
      helloTimeoutMs,
    );
    this.#helloTimer.unref?.();
    this.#write(Buffer.from(preamble(this.#nonce)));
    try {
      client.exec(SHELL_PROGRAM, (err, ch) => {
        if (err) return this.#die(`cannot open a shell channel: ${err.message}`);
        if (this.#dead) return void ch.close();
        this.#attach(ch);
      });
    } catch (e) {
      // ssh2 throws synchronously when the connection is already gone.
      queueMicrotask(() => this.#die(`cannot open a shell channel: ${(e as Error).message}`));
    }
  }

  get dead(): boolean {
    return this.#dead !== null;
  }

  get busy(): boolean {
    return this.#current !== null;
  }

  /** Starts a command; the shell must not be busy or dead. */
  start(script: string, stdin: Uint8Array | undefined, sink: ShellJobSink): void {
    if (this.#dead) {
      sink.onLost(this.#dead, false);
      return;
    }
    if (this.#current) throw new Error('remote shell is busy');
    const id = this.#nextId++;
    this.#current = {
      id,
      sink,
      inside: { stdout: false, stderr: false },
      ended: { stdout: null, stderr: null },
      begun: false,
    };
    this.#write(Buffer.from(request(id, script, stdin), 'utf8'));
  }

  /** Closes the channel; a running command is reported lost. */
  destroy(why = 'the remote shell was closed'): void {
    this.#die(why);
  }

  #write(b: Buffer): void {
    if (this.#channel) this.#channel.write(b);
    else this.#queued.push(b);
  }

  #attach(ch: ClientChannel): void {
    this.#channel = ch;
    ch.on('data', (chunk: Buffer) => this.#onChunk('stdout', chunk));
    ch.stderr.on('data', (chunk: Buffer) => this.#onChunk('stderr', chunk));
    // 'exit' comes when the shell itself ended (killed, or its stdin closed): a command it was
    // running may still hold the channel's pipes, so do not wait for 'close'.
    ch.on('exit', (code: number | null, sig?: string) =>
      this.#die(`the remote shell ended (${sig ? `signal ${sig}` : `exit ${code}`})`),
    );
    ch.on('close', () => this.#die('the remote shell channel closed'));
    ch.on('error', () => this.#die('the remote shell channel failed'));
    for (const b of this.#queued.splice(0)) ch.write(b);
  }

  #onChunk(stream: StreamName, chunk: Buffer): void {
    let pieces: ReturnType<FrameParser['push']>;
    try {
      pieces = this.#parsers[stream].push(chunk);
    } catch (e) {
      this.#die((e as Error).message);
      return;
    }
    for (const p of pieces) {
      if ('data' in p) this.#data(stream, p.data);
      else this.#marker(stream, p.marker);
      if (this.#dead) return;
    }
  }

  #data(stream: StreamName, data: Buffer): void {
    const c = this.#current;
    // Outside a frame: rc-file noise before the first command, or leftovers of a command's
    // background processes that still write after it ended. Neither belongs to a command.
    if (!c?.inside[stream]) return;
    if (stream === 'stdout') c.sink.onStdout(data);
    else c.sink.onStderr(data);
  }

  #marker(stream: StreamName, m: Marker): void {
    if (m.kind === HELLO) {
      clearTimeout(this.#helloTimer);
      this.#helloTimer = undefined;
      this.pid = toInt(m.fields[0]);
      this.onHello?.();
      return;
    }
    const c = this.#current;
    if (!c || toInt(m.fields[0]) !== c.id) return; // a marker of an earlier command: cannot happen
    if (m.kind === BEGIN) {
      c.inside[stream] = true;
      c.begun = true;
    } else if (m.kind === PGID) {
      const pgid = toInt(m.fields[1]);
      if (pgid !== null && pgid > 1) c.sink.onPgid(pgid);
    } else if (m.kind === END) {
      c.inside[stream] = false;
      c.ended[stream] = toInt(m.fields[1]) ?? 255;
      if (c.ended.stdout !== null && c.ended.stderr !== null) {
        this.#current = null;
        c.sink.onEnd(c.ended.stdout);
        this.onIdle?.();
      }
    }
  }

  #die(why: string): void {
    if (this.#dead) return;
    this.#dead = why;
    clearTimeout(this.#helloTimer);
    const c = this.#current;
    this.#current = null;
    if (c) {
      // What the command printed before the shell went away is still its output.
      const out = this.#parsers.stdout.flush();
      const err = this.#parsers.stderr.flush();
      if (out.length && c.inside.stdout) c.sink.onStdout(out);
      if (err.length && c.inside.stderr) c.sink.onStderr(err);
      c.sink.onLost(why, c.begun);
    }
    this.#channel?.close();
    this.onDead?.(why, this.pid !== null);
  }
}

const toInt = (s: string | undefined): number | null => {
  const n = Number.parseInt(s ?? '', 10);
  return Number.isFinite(n) ? n : null;
};
