import { Secret } from '../../../../core/secret.js';
import { chainable, expectPart, startReleaseChain } from '../release-chain.js';
import { preparedOf, type ReleaseStep } from '../release-run.js';

/**
 * `write release files`: the release's compose file with the app's variables in it (and its compose source),
 * and for a deploy the other services' file. The variables travel as file content (stdin, 0600), never on a
 * command line (see core/plans/compose-env.ts). When nothing is built before the start, the same script goes
 * on to start the release and wait for its health (release-chain.ts): this step reports its first part.
 */
export const writeReleaseFiles: ReleaseStep = async (run, _step, s) => {
  const p = preparedOf(run);
  const { ex, layout: l, release, env } = run;
  if (chainable(run)) {
    // The script may start the release before this side hears of it: its removal is declared from now on.
    const start = run.plan.find((x) => x.kind === 'start');
    if (start?.compensate) run.compensations.push({ step: start, cmds: start.compensate });
    run.chain = startReleaseChain(run);
    await expectPart(run, run.chain, 'write', 'write release files');
    s.detail(`${env.size} variable(s), release ${release} (one script with the start and the health check)`);
    return;
  }
  await Promise.all([
    ex.put(l.releaseFile(release), new Secret(p.releaseFile), { mode: 0o600 }),
    ...(p.sourceYaml !== undefined
      ? [ex.put(`${l.releaseDir(release)}/source.yml`, p.sourceYaml, { mode: 0o644 })]
      : []),
    ...(p.servicesFile !== null && run.req.action === 'deploy'
      ? [ex.put(l.servicesFile, new Secret(p.servicesFile), { mode: 0o600 })]
      : []),
  ]);
  s.detail(`${env.size} variable(s), release ${release}`);
};
