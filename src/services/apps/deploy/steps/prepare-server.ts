import * as fs from '../../../../core/commands/fs.js';
import { runChecked } from '../../../../core/executor.js';
import { appLockName } from '../../../shared/lock-on-server.js';
import { chooseReleasePort } from '../../release-port.js';
import { appProjects, detectFlavour } from '../../releases.js';
import type { ReleaseStep } from '../release-run.js';

/**
 * `prepare server`: independent round trips side by side — the app's server lock, the compose flavour, what
 * runs and what is kept now (retired and pruned once the new release serves), the release's fixed loopback
 * port (it survives a Docker restart), and the plan's directories.
 */
export const prepareServer: ReleaseStep = async (run, step, s) => {
  const { ctx, ex, server, app } = run;
  const [, flavour, projects, releases, port] = await Promise.all([
    run.session.lock(),
    detectFlavour(ex),
    appProjects(ex, server, app),
    ex.run(fs.listDir(run.layout.releasesDir)).then((r) =>
      r.stdout
        .split('\n')
        .filter((n) => /^\d+$/.test(n))
        .map(Number),
    ),
    chooseReleasePort(ctx, ex, server),
    ...(step.cmds ?? []).map((c) => runChecked(ex, c, { signal: run.job.signal, what: step.name })),
  ]);
  run.flavour = flavour;
  run.before = { projects, releases };
  run.hostPort = port;
  s.detail(`${appLockName(app.name)} held; ${flavour === 'v2' ? 'docker compose (v2)' : 'docker-compose (v1)'}`);
};
