import * as compose from '../../../../core/commands/compose.js';
import { runChecked } from '../../../../core/executor.js';
import { expectPart } from '../release-chain.js';
import { preparedOf, type ReleaseStep, servicesTargetOf } from '../release-run.js';

/**
 * `update services in place` (compose apps): the services other than the routed one are one stable project,
 * brought up to date by a deploy; a rollback or env push keeps them as they are.
 */
export const updateServices: ReleaseStep = async (run, _step, s) => {
  const p = preparedOf(run);
  if (p.servicesFile === null) return s.unchanged('no other services');
  if (run.req.action !== 'deploy') return s.unchanged('kept as they are');
  // Part of the release's script (release-chain.ts): its result, as it arrives.
  if (run.chain?.script.has('services')) return expectPart(run, run.chain, 'services', 'compose up (services)');
  await runChecked(run.ex, compose.up(servicesTargetOf(run)), {
    signal: run.job.signal,
    what: 'compose up (services)',
  });
};
