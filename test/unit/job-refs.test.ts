// Job references (`last`, unique id prefixes) and how a job's steps and output are shown, over a real SQLite
// store and the real job runner: steps a failure left unrun fold into one line, steps without output say so.
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobRunner } from '../../src/adapters/jobs/runner.js';
import { plainRenderer } from '../../src/cli/progress-render.js';
import { groupSteps, notRunLine } from '../../src/cli/step-groups.js';
import type { JobEvent } from '../../src/core/jobs.js';
import { silentSteps } from '../../src/services/jobs/job-output.js';
import { resolveJobRef } from '../../src/services/jobs/job-ref.js';
import { type TempStore, tempStore } from '../harness/temp-store.js';

let t: TempStore;
let jobs: JobRunner;
beforeEach(async () => {
  t = await tempStore();
  jobs = t.runner();
});
afterEach(async () => {
  await t.cleanup();
});

const STEPS = ['prepare', 'fetch', 'build', 'start', 'switch'];

/** A deploy-like job: `prepare` writes nothing, `fetch` logs and fails, the three after it never run. */
async function failingJob(runner = jobs): Promise<string> {
  let id = '';
  await runner
    .run({ kind: 'deploy', target: 'box/site', plannedSteps: STEPS }, async (job) => {
      id = job.id;
      await job.step('prepare', async () => undefined);
      await job.step('fetch', async (s) => {
        s.log('fetching');
        throw new Error('remote hung up');
      });
    })
    .catch(() => undefined);
  return id;
}

const quietJob = async (): Promise<string> =>
  (
    await jobs.run({ kind: 'restart', target: 'box/site', plannedSteps: ['restart'] }, async (job) => {
      await job.step('restart', async () => undefined);
    })
  ).jobId;

/** Inserts a job row with a chosen id (ids are random; ambiguity needs two that share a start). */
async function jobWithId(id: string, createdAt: string): Promise<void> {
  t.store
    .raw!.prepare(
      "INSERT INTO jobs (id, kind, status, target, params_json, actor, cancel_requested, created_at) VALUES (?, 'deploy', 'succeeded', 'box/x', '{}', 't', 0, ?)",
    )
    .run(id, createdAt);
}

describe('resolveJobRef', () => {
  it('last is the newest job; a full id is itself', async () => {
    const first = await failingJob();
    const second = await quietJob();
    const ctx = { store: t.store };
    expect(await resolveJobRef(ctx, 'last')).toBe(second);
    expect(await resolveJobRef(ctx, first)).toBe(first);
  });

  it('a unique prefix, with or without j_', async () => {
    await jobWithId('j_aaa111', '2026-01-01T00:00:00.000Z');
    await jobWithId('j_aab222', '2026-01-02T00:00:00.000Z');
    const ctx = { store: t.store };
    expect(await resolveJobRef(ctx, 'j_aaa')).toBe('j_aaa111');
    expect(await resolveJobRef(ctx, 'aab')).toBe('j_aab222');
  });

  it('an ambiguous prefix fails with the candidates, newest first', async () => {
    await jobWithId('j_aaa111', '2026-01-01T00:00:00.000Z');
    await jobWithId('j_aab222', '2026-01-02T00:00:00.000Z');
    const err = await resolveJobRef({ store: t.store }, 'j_aa').catch((e) => e);
    expect(err).toMatchObject({ code: 'VALIDATION', details: { candidates: ['j_aab222', 'j_aaa111'] } });
    expect(err.message).toBe("'j_aa' is ambiguous: it starts 2 job ids");
    expect(err.hint).toContain('j_aab222 (deploy box/x, 2026-01-02T00:00:00.000Z)');
  });

  it('no match, no jobs, and text that is no id', async () => {
    const ctx = { store: t.store };
    await expect(resolveJobRef(ctx, 'last')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await jobWithId('j_aaa111', '2026-01-01T00:00:00.000Z');
    await expect(resolveJobRef(ctx, 'j_zz')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // '%' and '_' would be LIKE wildcards: the prefix is literal, and only id characters are taken.
    await expect(resolveJobRef(ctx, '%')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(resolveJobRef(ctx, 'j__aa')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(resolveJobRef(ctx, "j_a' OR 1=1")).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});

describe('steps and output of a failed job', () => {
  it('the steps that never ran fold into one group; the silent step is known', async () => {
    const id = await failingJob();
    const rec = await jobs.get(id);
    const groups = groupSteps(rec.steps);
    expect(groups.map((g) => ('notRun' in g ? `not run: ${g.notRun.length}` : g.step.name))).toEqual([
      'prepare',
      'fetch',
      'not run: 3',
    ]);
    const notRun = groups.at(-1)!;
    expect('notRun' in notRun && notRunLine(notRun.notRun)).toBe('3 steps not run: build, start, switch');
    expect(await silentSteps({ store: t.store }, id)).toEqual([0]);
  });

  it('a single unrun step stays a step; deliberately skipped steps are not folded', () => {
    const step = (idx: number, status: 'skipped' | 'failed', detail: string | null) => ({
      idx,
      name: `s${idx}`,
      status,
      exitCode: null,
      detail,
      startedAt: null,
      finishedAt: null,
    });
    const g = groupSteps([step(0, 'failed', null), step(1, 'skipped', 'not run')]);
    expect(g).toHaveLength(2);
    const h = groupSteps([step(0, 'skipped', 'nothing to do'), step(1, 'skipped', 'nothing to do')]);
    expect(h.every((x) => 'step' in x)).toBe(true);
  });

  it('the plain progress of the failing job prints one line for the unrun steps', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => {
      text += d;
    });
    let renderer: ReturnType<typeof plainRenderer> | null = null;
    const spy: JobRunner = {
      ...jobs,
      run: async (spec, body) => {
        const handle = await jobs.start(spec, body);
        renderer = plainRenderer(out, (await jobs.get(handle.id)).steps, false);
        const off = jobs.subscribe(handle.id, (e: JobEvent) => renderer!.event(e), { afterId: 0 });
        try {
          return { jobId: handle.id, result: await handle.done };
        } finally {
          off();
          renderer.stop();
        }
      },
    };
    await failingJob(spy);
    expect(text).toContain('✗ fetch failed');
    expect(text).toContain('↷ 3 steps not run: build, start, switch\n');
    expect(text).not.toMatch(/build skipped/);
  });
});
