import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runJob } from '../../src/cli/progress.js';
import { InfraktError } from '../../src/core/errors.js';
import { type TempStore, tempStore, until } from '../harness/temp-store.js';

let t: TempStore;
let stdout: string;
beforeEach(async () => {
  t = await tempStore();
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await t.cleanup();
});

function fakeStream(tty: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number; text(): string };
  let text = '';
  s.on('data', (d) => {
    text += d;
  });
  s.isTTY = tty;
  s.columns = 80;
  s.text = () => text;
  return s;
}

const spec = { kind: 'deploy', target: 'web-1/api', plannedSteps: ['pull', 'start'] };
const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

describe('runJob (CLI progress)', () => {
  it('plain output: one line per step event, then the summary on stdout', async () => {
    const out = fakeStream(false);
    const r = await runJob(
      { jobs: t.runner() },
      spec,
      async (job) => {
        await job.step('pull', async (s) => s.detail('nginx:alpine'));
        await job.step('start', async (s) => s.log('up'));
        return 42;
      },
      { progress: out as never },
    );
    expect(r.result).toBe(42);
    expect(r.record.status).toBe('succeeded');
    expect(strip(out.text()).split('\n')).toEqual([
      '→ pull running',
      expect.stringMatching(/^✓ pull succeeded \(\d+ms\) — nginx:alpine$/),
      '→ start running',
      expect.stringMatching(/^✓ start succeeded \(\d+ms\)$/),
      '',
    ]);
    expect(strip(stdout)).toMatch(new RegExp(`^✓ deploy web-1/api succeeded in \\d+ms \\(job ${r.jobId}\\)\\n$`));
  });

  it('verbose plain output shows the log lines with their step', async () => {
    const out = fakeStream(false);
    await runJob({ jobs: t.runner() }, spec, async (job) => job.step('pull', async (s) => s.log('layer 1')), {
      progress: out as never,
      verbose: true,
    });
    expect(strip(out.text())).toContain('  [pull] layer 1\n');
  });

  it('failure: ✗ line, the job error rethrown with `infrakt job logs <id>` in the hint', async () => {
    const out = fakeStream(false);
    const err = await runJob(
      { jobs: t.runner() },
      spec,
      async (job) =>
        job.step('pull', async () => {
          throw new InfraktError('COMMAND_FAILED', 'docker pull failed', {
            hint: 'see the job log for the full output (infrakt job logs <id>)',
          });
        }),
      { progress: out as never },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(InfraktError);
    expect(err.code).toBe('COMMAND_FAILED');
    const id = err.details.jobId;
    expect(err.hint).toBe(`see the job log for the full output (infrakt job logs ${id})`);
    expect(strip(out.text())).toContain(`✗ deploy web-1/api failed after`);
    expect(strip(out.text())).toContain('↷ start skipped');
    expect(stdout).toBe('');
  });

  it('an error without a hint gets one pointing at the log', async () => {
    const err = await runJob({ jobs: t.runner() }, spec, async () => Promise.reject(new Error('x')), {
      progress: fakeStream(false) as never,
    }).catch((e) => e);
    expect(err.hint).toContain(`full log: infrakt job logs ${err.details.jobId}`);
  });

  it('--json prints the job record on stdout and no progress', async () => {
    const out = fakeStream(false);
    const r = await runJob({ jobs: t.runner() }, spec, async (job) => job.step('pull', async () => 1), {
      progress: out as never,
      json: true,
    });
    expect(JSON.parse(stdout)).toMatchObject({
      id: r.jobId,
      status: 'succeeded',
      steps: [{ name: 'pull' }, { name: 'start' }],
    });
    expect(out.text()).toBe('');
  });

  it('TTY output redraws the step block in place and ends with final states', async () => {
    const out = fakeStream(true);
    await runJob(
      { jobs: t.runner() },
      spec,
      async (job) => {
        await job.step('pull', async () => new Promise((r) => setTimeout(r, 250)));
        await job.step('start', async () => 1);
      },
      { progress: out as never },
    );
    const text = out.text();
    expect(text).toMatch(/\x1b\[2A\r\x1b\[0J/); // cursor up over the two step lines, clear
    expect(text.startsWith('\x1b[?25l')).toBe(true);
    expect(text.endsWith('\x1b[?25h')).toBe(true);
    const last = strip(text.slice(text.lastIndexOf('\x1b[0J')));
    const final = /^✓ pull \((\d+)ms\)\n✓ start \(\d+ms\)\n$/.exec(last);
    expect(final, last).not.toBeNull();
    // A lower bound only: the step waited 250 ms, and a busy machine may take longer to resume it.
    expect(Number(final?.[1])).toBeGreaterThanOrEqual(240);
  });

  it('Ctrl-C cancels the job; the command fails with CANCELLED', async () => {
    const out = fakeStream(false);
    const jobs = t.runner();
    const p = runJob(
      { jobs },
      spec,
      async (job) =>
        job.step(
          'pull',
          () => new Promise((_, rej) => job.signal.addEventListener('abort', () => rej(job.signal.reason))),
        ),
      { progress: out as never },
    ).catch((e) => e);
    await until(() => out.text().includes('→ pull running'));
    process.emit('SIGINT');
    const err = await p;
    expect(err.code).toBe('CANCELLED');
    expect(strip(out.text())).toContain('cancelling job');
    expect((await jobs.get(err.details.jobId)).status).toBe('cancelled');
    expect(process.listenerCount('SIGINT')).toBe(0);
  });
});

describe('TTY output on a short screen', () => {
  it('folds finished steps so the redrawn block always fits', async () => {
    const out = fakeStream(true) as ReturnType<typeof fakeStream> & { rows?: number };
    out.rows = 8;
    const names = Array.from({ length: 12 }, (_, i) => `step ${i}`);
    await runJob(
      { jobs: t.runner() },
      { ...spec, plannedSteps: names },
      async (job) => {
        for (const n of names) await job.step(n, async () => new Promise((r) => setTimeout(r, 5)));
      },
      { progress: out as never },
    );
    const text = out.text();
    for (const m of text.matchAll(/\x1b\[(\d+)A/g)) expect(Number(m[1])).toBeLessThanOrEqual(6);
    expect(text).toContain('earlier step(s)');
    expect(
      strip(text.slice(text.lastIndexOf('\x1b[0J')))
        .split('\n')
        .filter((l) => l.startsWith('✓')),
    ).toHaveLength(12);
  });
});
