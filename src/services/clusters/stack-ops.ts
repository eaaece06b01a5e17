import * as swarm from '../../core/commands/swarm.js';
import { InfraktError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';

/** `docker stack rm` returns before the services are gone; a network in use cannot be removed until then. */
export async function waitStackGone(ex: Executor, stack: string, signal: AbortSignal, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await ex.run(swarm.stackServicesCount(stack), { signal });
    if (r.exitCode === 0 && !r.stdout.trim()) return;
    if (Date.now() > deadline)
      throw new InfraktError('TIMEOUT', `stack ${stack} still has services after ${ms / 1000} s`);
    await new Promise((done) => setTimeout(done, 1000));
  }
}
