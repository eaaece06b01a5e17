import type { OwnChannelReason } from './exec-stats.js';
import type { RemoteShell } from './remote-shell.js';

/**
 * The channels of one connection: persistent shells and channels of their own, at most `max` at a
 * time (sshd's MaxSessions defaults to 10), FIFO for whoever waits.
 *
 * How concurrent commands map to shells: a shell runs one command at a time (its output is one pair
 * of streams), so parallel commands need several shells, and each new shell costs a channel open and
 * the account's login-shell start-up (0.01 s on a lean server, close to a second where rc files
 * are slow). A command that finds every shell busy therefore waits for one first, and only once it
 * has waited as long as a new shell took to open here does the pool open another (rent until renting
 * cost as much as buying: never more than twice the better choice, without knowing durations ahead).
 * Short commands issued together (a deploy writing four files at once) queue on one shell; long
 * ones (a `logs -f` stream, a slow pull) get a shell each soon after. The first shell opens at once.
 */
export interface Lease<T> {
  readonly promise: Promise<T>;
  /** Stop waiting (timeout or cancel while queued); a no-op once granted. */
  cancel(): void;
}

interface Waiter {
  readonly kind: 'shell' | 'channel';
  readonly since: number;
  done: boolean;
  grant(shell: RemoteShell | null): void;
}

export class ShellPool {
  readonly #max: number;
  readonly #open: () => RemoteShell;
  readonly #shells = new Set<RemoteShell>();
  readonly #idle: RemoteShell[] = [];
  readonly #waiters: Waiter[] = [];
  #channels = 0;
  #openCostMs: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Set once a shell failed to start: every later command runs on a channel of its own. */
  unusable: string | null = null;
  /** Why this connection uses no shells at all (null: it does). */
  readonly off: OwnChannelReason | null;

  constructor(max: number, open: () => RemoteShell, off: OwnChannelReason | null = null) {
    this.#max = Math.max(1, Math.trunc(max));
    this.#open = open;
    this.off = off;
  }

  /** Resolves with an idle shell, or null when shells cannot be used here (use a channel instead). */
  acquireShell(): Lease<RemoteShell | null> {
    return this.#enqueue('shell');
  }

  /** Resolves once a channel of its own may be opened; call releaseChannel() when it closed. */
  acquireChannel(): Lease<void> {
    const lease = this.#enqueue('channel');
    return { promise: lease.promise.then(() => undefined), cancel: lease.cancel };
  }

  /** Gives back a shell that was granted but not used (its command was cancelled meanwhile). */
  release(shell: RemoteShell): void {
    if (shell.dead || shell.busy || this.#idle.includes(shell)) return;
    this.#idle.push(shell);
    this.#pump();
  }

  releaseChannel(): void {
    this.#channels--;
    this.#pump();
  }

  /** Ends every shell (the connection is closing). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const s of [...this.#shells]) s.destroy('the connection was closed');
  }

  get size(): number {
    return this.#shells.size;
  }

  #enqueue(kind: Waiter['kind']): Lease<RemoteShell | null> {
    let waiter!: Waiter;
    const promise = new Promise<RemoteShell | null>((resolve) => {
      waiter = {
        kind,
        since: performance.now(),
        done: false,
        grant: (shell) => {
          waiter.done = true;
          resolve(shell);
        },
      };
    });
    this.#waiters.push(waiter);
    this.#pump();
    return {
      promise,
      cancel: () => {
        if (waiter.done) return;
        waiter.done = true;
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        this.#pump();
      },
    };
  }

  #used(): number {
    return this.#shells.size + this.#channels;
  }

  // Hands out whatever can be handed out, in FIFO order; arms the timer for a new shell.
  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = performance.now();
    let nextDue: number | null = null;
    while (this.#waiters.length > 0) {
      const w = this.#waiters[0] as Waiter;
      if (w.kind === 'shell') {
        if (this.off !== null || this.unusable !== null || this.#closed) {
          this.#waiters.shift();
          w.grant(null);
          continue;
        }
        const idle = this.#idle.shift();
        if (idle) {
          this.#waiters.shift();
          w.grant(idle);
          continue;
        }
        if (this.#used() >= this.#max) break;
        // The first shell opens at once; another once this waiter waited as long as one takes to open.
        if (this.#shells.size === 0) {
          this.#spawn();
          continue;
        }
        if (this.#openCostMs === null) break; // known at the first shell's hello, which pumps again
        const due = w.since + this.#openCostMs;
        if (now >= due) {
          this.#spawn();
          continue;
        }
        nextDue = due;
        break;
      }
      if (this.#used() >= this.#max) {
        // An idle shell gives its place to a channel that needs one.
        const idle = this.#idle.shift();
        if (!idle) break;
        idle.destroy('closed to make room for another channel');
        continue;
      }
      this.#waiters.shift();
      this.#channels++;
      w.grant(null);
    }
    if (nextDue !== null) {
      this.#timer = setTimeout(() => this.#pump(), Math.max(1, nextDue - now));
      this.#timer.unref?.();
    }
  }

  #spawn(): void {
    const started = performance.now();
    const shell = this.#open();
    this.#shells.add(shell);
    shell.onHello = () => {
      this.#openCostMs ??= Math.max(1, performance.now() - started);
      this.#pump();
    };
    shell.onIdle = () => {
      this.#idle.push(shell);
      this.#pump();
    };
    shell.onDead = (why, hello) => {
      this.#shells.delete(shell);
      const i = this.#idle.indexOf(shell);
      if (i !== -1) this.#idle.splice(i, 1);
      if (!hello && !this.#closed) this.unusable = why;
      this.#pump();
    };
    // A new shell takes its first request at once: it is written right behind the preamble.
    this.#idle.push(shell);
  }
}
