import { InfraktError } from '../../core/errors.js';
import type { Clock } from '../../services/context.js';
import type { Jobs } from '../../services/jobs-types.js';
import type { Store } from '../store/open.js';

export interface JobRunnerDeps {
  store: Store;
  clock: Clock;
  actor: string;
  /** Identifies this process as a lock holder / runner, e.g. `pid 123 on laptop`. */
  runner: string;
}

// Placeholder until the durable job runner lands (work in progress in this session).
export function createJobRunner(_deps: JobRunnerDeps): Jobs {
  const missing = async (): Promise<never> => {
    throw new InfraktError('UNSUPPORTED', 'jobs are not available in this build');
  };
  return {
    start: missing,
    run: missing,
    get: missing,
    list: missing,
    logs: missing,
    cancel: missing,
    subscribe: () => () => {},
  };
}
