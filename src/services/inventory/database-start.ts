import * as compose from '../../core/commands/compose.js';
import { runChecked } from '../../core/executor.js';
import { dbLayout } from '../../core/plans/db-compose.js';
import { appJobSpec } from '../app-job-spec.js';
import type { Ctx } from '../context.js';
import { waitHealthy } from '../databases-job.js';
import { resolveDatabase } from '../databases-model.js';
import type { JobPlan } from '../job-plan.js';
import { detectFlavour } from '../releases.js';
import { withServer } from '../server-session.js';

/**
 * Starts a database whose containers are not running (drift found by `plan`): `compose up` of the files
 * `db create` wrote, then the same health wait. Data and password are untouched.
 */
export async function prepareStartDatabase(
  ctx: Ctx,
  name: string,
  server: string,
): Promise<JobPlan<{ database: string }>> {
  const { app, server: srv } = await resolveDatabase(ctx, name, server);
  const l = dbLayout(srv.root_dir, app.name);
  return {
    spec: appJobSpec(app, srv, 'db.start', {
      params: { database: app.name },
      steps: ['connect', 'start', 'wait healthy'],
    }),
    body: (job) =>
      withServer(ctx, job, srv, { lock: null }, async ({ ex }) => {
        const flavour = await detectFlavour(ex);
        await job.step('start', async (s) => {
          await runChecked(ex, compose.up({ flavour, project: app.name, file: l.composeFile }), {
            signal: job.signal,
            what: 'compose up',
          });
          s.detail(app.name);
        });
        await job.step('wait healthy', async (s) => {
          s.detail(`healthy after ${await waitHealthy(ex, app.name, job.signal, [])} ms`);
        });
        return { database: app.name };
      }),
  };
}
