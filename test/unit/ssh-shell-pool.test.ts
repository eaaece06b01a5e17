// How the ssh executor maps concurrent commands to persistent shells (shell-pool.ts), with scripted
// shells whose start-up and command times the test sets: short commands queue on the shell that is
// there, long ones get shells of their own once they waited as long as a shell takes to open, the
// channel cap holds, and a shell that cannot start turns the pool to channels of their own.
import { describe, expect, it } from 'vitest';
import type { RemoteShell } from '../../src/adapters/ssh/remote-shell.js';
import { ShellPool } from '../../src/adapters/ssh/shell-pool.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stand-in for RemoteShell: says hello after `openMs`, or dies before it when `fails`. */
class ScriptedShell {
  onHello: (() => void) | null = null;
  onIdle: (() => void) | null = null;
  onDead: ((why: string, hello: boolean) => void) | null = null;
  pid: number | null = null;
  dead = false;
  busy = false;

  constructor(openMs: number, fails = false) {
    setTimeout(() => {
      if (fails) {
        this.dead = true;
        this.onDead?.('refused', false);
        return;
      }
      this.pid = 1000;
      this.onHello?.();
    }, openMs);
  }

  async runFor(ms: number): Promise<void> {
    this.busy = true;
    await sleep(ms);
    this.busy = false;
    this.onIdle?.();
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.onDead?.('destroyed', this.pid !== null);
  }
}

function pool(max: number, openMs: number, fails = false) {
  const shells: ScriptedShell[] = [];
  const p = new ShellPool(max, () => {
    const s = new ScriptedShell(openMs, fails);
    shells.push(s);
    return s as unknown as RemoteShell;
  });
  // A command: wait for a shell, run on it. Resolves with the shell it ran on (null: own channel).
  const command = async (ms: number) => {
    const shell = (await p.acquireShell().promise) as unknown as ScriptedShell | null;
    if (shell) await shell.runFor(ms);
    return shell;
  };
  return { p, shells, command };
}

describe('shell pool', () => {
  it('short commands issued together queue on the one shell (opening another costs more)', async () => {
    const { shells, command } = pool(8, 300);
    await command(1); // the first shell is open and its cost known
    const ran = await Promise.all(Array.from({ length: 8 }, () => command(2)));
    expect(shells).toHaveLength(1);
    expect(new Set(ran).size).toBe(1);
  });

  it('long commands get shells of their own after waiting one open time, up to the cap', async () => {
    const { shells, command } = pool(4, 50);
    await command(1);
    const started = performance.now();
    const ran = await Promise.all(Array.from({ length: 6 }, () => command(600)));
    const took = performance.now() - started;
    expect(shells).toHaveLength(4);
    expect(new Set(ran).size).toBe(4);
    // 6 × 0.6 s on 4 shells: two rounds plus the waits, far from six rounds.
    expect(took).toBeLessThan(6 * 600);
  });

  it('a channel of its own takes an idle shell’s place when the cap is reached', async () => {
    const { p, shells, command } = pool(2, 20);
    await command(1);
    await Promise.all([command(200), command(200)]);
    expect(shells).toHaveLength(2);
    const lease = p.acquireChannel();
    await lease.promise;
    expect(shells.filter((s) => s.dead)).toHaveLength(1);
    expect(p.size).toBe(1);
    p.releaseChannel();
  });

  it('a waiter that stops waiting leaves the queue; nothing is lost for the next', async () => {
    const { p, command } = pool(1, 20);
    await command(1);
    const busy = command(200);
    const gone = p.acquireShell();
    gone.cancel();
    const next = await command(1);
    await busy;
    expect(next).not.toBeNull();
  });

  it('a shell that cannot start turns every command to a channel of its own', async () => {
    const { p, shells, command } = pool(8, 10, true);
    expect(await command(1)).not.toBeNull(); // granted before the shell failed: shell-exec falls back
    await sleep(30);
    expect(p.unusable).toBe('refused');
    expect(await command(1)).toBeNull();
    expect(shells).toHaveLength(1);
  });
});
