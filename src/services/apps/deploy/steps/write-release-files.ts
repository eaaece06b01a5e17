import { renderEnvFile } from '../../../../core/plans/deploy-env.js';
import { preparedOf, type ReleaseStep } from '../release-run.js';

/**
 * `write release files`: the app's variables, the release's compose file (and its compose source), and for a
 * deploy the other services' file. The variables travel as file content (SFTP/stdin, 0600), never on a
 * command line.
 */
export const writeReleaseFiles: ReleaseStep = async (run, _step, s) => {
  const p = preparedOf(run);
  const { ex, layout: l, release, env } = run;
  await Promise.all([
    ex.put(l.envFile, renderEnvFile(env, run.flavour), { mode: 0o600 }),
    ex.put(l.releaseFile(release), p.releaseFile, { mode: 0o644 }),
    ...(p.sourceYaml !== undefined
      ? [ex.put(`${l.releaseDir(release)}/source.yml`, p.sourceYaml, { mode: 0o644 })]
      : []),
    ...(p.servicesFile !== null && run.req.action === 'deploy'
      ? [ex.put(l.servicesFile, p.servicesFile, { mode: 0o644 })]
      : []),
  ]);
  s.detail(`${env.size} variable(s), release ${release}`);
};
