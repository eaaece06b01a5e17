import { InfraktError } from '../core/errors.js';
import type { Connect } from '../services/context.js';

// Replaced by the ssh2/local executors (remote-execution work in progress).
export const connect: Connect = async (server) => {
  throw new InfraktError(
    'UNSUPPORTED',
    `cannot connect to ${server.name}: remote execution is not available in this build`,
  );
};
