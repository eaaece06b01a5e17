import { Secret } from '../../../../core/secret.js';
import { preparedOf, type ReleaseStep } from '../release-run.js';

/**
 * `write release files`: the release's compose file with the app's variables in it (and its compose source),
 * and for a deploy the other services' file. The variables travel as file content (SFTP/stdin, 0600), never
 * on a command line (see core/plans/compose-env.ts).
 */
export const writeReleaseFiles: ReleaseStep = async (run, _step, s) => {
  const p = preparedOf(run);
  const { ex, layout: l, release, env } = run;
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
