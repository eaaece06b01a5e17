// The built CLI's job and lock commands against jobs run by another process (the jobs-child harness
// script writes to the same INFRAKT_HOME database, like a second terminal running a deploy).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/adapters/store/open.js';
import { bundleForTest } from '../harness/bundle.js';
import { cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';

let home: string;
let child: { file: string; cleanup(): void };
const procs: ChildProcess[] = [];

beforeAll(async () => {
  child = await bundleForTest('test/harness/jobs-child.ts');
  home = makeInfraktHome();
  const r = await runCli(['job', 'list'], { home });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('no jobs yet\n');
});

afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  child?.cleanup();
  cleanupHomes();
});

/** Starts a job holding lock app:1 in another process; resolves with its id once it runs. */
function holdJob(): Promise<{ p: ChildProcess; jobId: string; exited: Promise<unknown> }> {
  const p = spawn(process.execPath, [child.file, join(home, 'infrakt.db'), 'hold'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  procs.push(p);
  const exited = new Promise((r) => p.on('exit', r));
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`child did not start: ${out}`)), 15_000);
    p.stdout!.on('data', (d) => {
      out += d;
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ p, jobId: m[1]!, exited });
      }
    });
  });
}

describe('infrakt job / lock', () => {
  it('lock list shows the holder; job logs -f follows until job cancel ends it', async () => {
    const { jobId, exited } = await holdJob();
    const locks = await runCli(['lock', 'list'], { home });
    expect(locks.stdout).toMatch(/app:1\s+child-hold, pid \d+ on \S+\s+\S+\s+j_\S+\s+running/);

    const refused = await runCli(['lock', 'break', 'app:1'], { home });
    expect(refused.code).toBe(4); // CONFLICT: its holder runs
    expect(refused.stderr).toContain(`infrakt job cancel ${jobId}`);

    const listed = JSON.parse((await runCli(['job', 'list', '--status', 'running', '--json'], { home })).stdout);
    expect(listed.map((j: { id: string }) => j.id)).toEqual([jobId]);

    const follow = runCli(['job', 'logs', '-f', jobId], { home, timeoutMs: 20_000 });
    // Whether the follower starts before or after the cancel lands, it prints the whole log and the end.
    const cancel = await runCli(['job', 'cancel', jobId], { home });
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain(`cancelled job ${jobId}`);
    const f = await follow;
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/\d\d:\d\d:\d\d \[work\] working\n/);
    expect(f.stdout).toContain('cancel requested: stopping');
    expect(f.stderr).toContain(`job ${jobId} cancelled: CANCELLED`);
    await exited;

    const show = JSON.parse((await runCli(['job', 'show', jobId, '--json'], { home })).stdout);
    expect(show).toMatchObject({ id: jobId, status: 'cancelled', error: { code: 'CANCELLED' } });
    const text = await runCli(['job', 'show', jobId], { home });
    expect(text.stdout).toMatch(/status\s+cancelled/);
    expect(text.stdout).toMatch(/1\s+work\s+cancelled/);
    expect((await runCli(['lock', 'list'], { home })).stdout).toBe('no locks held\n');

    const again = await runCli(['job', 'cancel', jobId], { home });
    expect(again.code).toBe(6); // STATE
    expect(again.stderr).toContain('has already been cancelled');
  });

  it('kill -9 mid-job: the next command reports the job interrupted and the lock is gone', async () => {
    const { p, jobId, exited } = await holdJob();
    p.kill('SIGKILL');
    await exited;
    const r = await runCli(['job', 'show', jobId], { home });
    expect(r.stderr).toContain(`job ${jobId} was interrupted (its process is gone): marked failed`);
    expect(r.stdout).toMatch(/status\s+failed/);
    expect(r.stdout).toMatch(/error\s+INTERRUPTED job .* was interrupted/);
    expect((await runCli(['lock', 'list'], { home })).stdout).toBe('no locks held\n');
  });

  it('lock break removes a lock held on another machine', async () => {
    const store = openStore(join(home, 'infrakt.db'));
    store.raw
      .prepare('INSERT INTO locks (name, job_id, holder, acquired_at) VALUES (?, NULL, ?, ?)')
      .run('app:9', 'ci@build (cli), pid 7 on build-box #12345678', '2026-01-01T00:00:00.000Z');
    await store.close();
    expect((await runCli(['lock', 'list'], { home })).stdout).toMatch(
      /app:9\s+ci@build \(cli\), pid 7 on build-box .*other host/,
    );
    const r = await runCli(['lock', 'break', 'app:9'], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'broke lock app:9 (held by ci@build (cli), pid 7 on build-box since 2026-01-01T00:00:00.000Z)',
    );
    const missing = await runCli(['lock', 'break', 'app:9'], { home });
    expect(missing.code).toBe(3);
  });

  it('bad input: exit codes by error class', async () => {
    expect((await runCli(['job', 'show', 'j_nope'], { home })).code).toBe(3);
    const bad = await runCli(['job', 'list', '--status', 'bogus'], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown job status 'bogus'");
    expect((await runCli(['lock', 'break', 'Bad Name'], { home })).code).toBe(2);
  });
});
