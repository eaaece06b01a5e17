import * as compose from '../../core/commands/compose.js';
import { runChecked } from '../../core/executor.js';
import { dbLayout } from '../../core/plans/db-compose.js';
import { detectFlavour } from '../apps/releases.js';
import { waitContainerHealthy } from '../databases/container-health.js';
import { resolveDatabase } from '../databases/model.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { withServer } from '../shared/server-session.js';

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
          s.detail(`healthy after ${await waitContainerHealthy(ex, app.name, job.signal, [])} ms`);
        });
        return { database: app.name };
      }),
  };
}
