// `job show|logs|cancel` through the built CLI with job references (`last`, unique prefixes) over a real SQLite
// state written by the real job runner (as a deploy in another terminal would): unrun steps folded into one
// line, steps and jobs without output saying so, an ambiguous prefix listing its candidates.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobRunner } from '../../src/adapters/jobs/runner.js';
import { openStore } from '../../src/adapters/store/open.js';
import { systemClock } from '../../src/services/shared/context.js';
import { cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';

let home: string;
let failed: string;
let quiet: string;

beforeAll(async () => {
  home = makeInfraktHome();
  expect((await runCli(['job', 'list'], { home })).code).toBe(0);
  const store = openStore(join(home, 'infrakt.db'));
  const jobs = createJobRunner({ store, clock: systemClock, actor: 'tester' });
  const spec = { kind: 'deploy', target: 'box/site', plannedSteps: ['prepare', 'fetch', 'build', 'start', 'switch'] };
  await jobs
    .run(spec, async (job) => {
      failed = job.id;
      await job.step('prepare', async () => undefined);
      await job.step('fetch', async (s) => {
        s.log('fetching origin/main');
        throw new Error('remote hung up');
      });
    })
    .catch(() => undefined);
  quiet = (
    await jobs.run({ kind: 'restart', target: 'box/site', plannedSteps: ['restart'] }, async (job) => {
      await job.step('restart', async () => undefined);
    })
  ).jobId;
  jobs.close();
  await store.close();
}, 60_000);

afterAll(() => cleanupHomes());

/** The shortest start of `id` that no other id shares (and the longest start both share). */
function prefixes(a: string, b: string): { shared: string; uniqueA: string } {
  let n = 0;
  while (a[n] === b[n]) n++;
  return { shared: a.slice(0, n), uniqueA: a.slice(0, n + 1) };
}

describe('job references and output', () => {
  it('job show last: the newest job', async () => {
    const r = await runCli(['job', 'show', 'last'], { home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^id\\s+${quiet}$`, 'm'));
    expect(r.stdout).toMatch(/kind\s+restart/);
  });

  it('a unique prefix shows the failed job with its unrun steps on one line', async () => {
    const { uniqueA } = prefixes(failed, quiet);
    const r = await runCli(['job', 'show', uniqueA], { home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^id\\s+${failed}$`, 'm'));
    expect(r.stdout).toMatch(/^2\s+fetch\s+failed/m);
    expect(r.stdout).toMatch(/^3-5\s+3 steps not run: build, start, switch\s+skipped/m);
    expect(r.stdout).not.toMatch(/^\d\s+build\b/m);
    // Without j_ too.
    const bare = await runCli(['job', 'show', uniqueA.slice(2), '--json'], { home });
    expect(JSON.parse(bare.stdout).id).toBe(failed);
  });

  it('an ambiguous prefix fails and lists the candidates', async () => {
    const { shared } = prefixes(failed, quiet);
    const r = await runCli(['job', 'show', shared], { home });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`'${shared}' is ambiguous: it starts 2 job ids`);
    expect(r.stderr).toContain(`${quiet} (restart box/site`);
    expect(r.stderr).toContain(`${failed} (deploy box/site`);
    expect(r.stdout).toBe('');
  });

  it('job logs: a step without output says so, in its place; a job without output says so', async () => {
    const { uniqueA } = prefixes(failed, quiet);
    const r = await runCli(['job', 'logs', uniqueA], { home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /\d\d:\d\d:\d\d \[prepare\] \(no output\)\n\d\d:\d\d:\d\d \[fetch\] fetching origin\/main\n/,
    );
    const last = await runCli(['job', 'logs', 'last'], { home });
    expect(last.code, last.stderr).toBe(0);
    expect(last.stdout).toContain('[restart] (no output)');
    expect(last.stdout).toContain(`job ${quiet} has no output (its steps: infrakt job show ${quiet})`);
    // --json stays machine output: no lines made up.
    expect((await runCli(['job', 'logs', 'last', '--json'], { home })).stdout).toBe('');
  });

  it('job cancel takes a reference too; an unknown one is NOT_FOUND', async () => {
    const r = await runCli(['job', 'cancel', 'last'], { home });
    expect(r.code).toBe(6); // STATE: it has already ended
    expect(r.stderr).toContain(quiet);
    expect((await runCli(['job', 'logs', 'j_zzzzzzzz'], { home })).code).toBe(3);
  });
});
