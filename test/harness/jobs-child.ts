/**
 * A separate process for the jobs integration tests (bundled by bundleForTest, run with plain node).
 *   node child.mjs <db> hold      runs a job holding lock app:1, prints `READY <jobId>`, waits to be killed or cancelled
 *   node child.mjs <db> contend   runs a job wanting lock app:1, prints one JSON line with the outcome
 *   node child.mjs <db> exit      calls process.exit() in the middle of a job holding app:1
 */
import { createJobRunner } from '../../src/adapters/jobs/runner.js';
import { openStoreAt } from '../../src/adapters/store/open-state.js';
import { systemClock } from '../../src/services/shared/context.js';

const [file, mode] = process.argv.slice(2);
if (!file || !mode) throw new Error('usage: child <db file or postgres URL> hold|contend|exit');
const store = await openStoreAt(file);
const jobs = createJobRunner({ store, clock: systemClock, actor: `child-${mode}` });
const spec = { kind: 'deploy', target: 'web-1/api', locks: ['app:1'], plannedSteps: ['work', 'finish'] };

if (mode === 'exit') {
  // Like a second Ctrl-C: process.exit() while the job runs.
  await jobs.run(spec, async (job) => {
    await job.step('work', async () => {
      process.stdout.write(`READY ${job.id}\n`);
      process.exit(16);
    });
  });
} else if (mode === 'hold') {
  // The body waits on nothing but its abort signal: the runner itself keeps the process alive meanwhile.
  try {
    await jobs.run(spec, async (job) => {
      await job.step('work', async (s) => {
        s.log('working');
        process.stdout.write(`READY ${job.id}\n`);
        await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)));
      });
    });
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ ok: false, code: (e as { code?: string }).code })}\n`);
  }
} else {
  try {
    const r = await jobs.run(spec, async () => 'done');
    process.stdout.write(`${JSON.stringify({ ok: true, jobId: r.jobId })}\n`);
  } catch (e) {
    const err = e as { code?: string; message: string; details?: unknown };
    process.stdout.write(
      `${JSON.stringify({ ok: false, code: err.code, message: err.message, details: err.details })}\n`,
    );
  }
}
jobs.close();
await store.close();
