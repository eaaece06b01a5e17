import { exec } from '../../core/cmd/index.js';
import { containerState } from '../../core/commands/db-dump.js';
import { InfraktError } from '../../core/errors.js';
import { type Executor, tail } from '../../core/executor.js';
import { type Secret, scrub } from '../../core/secret.js';

const HEALTH_TIMEOUT_MS = 180_000;

/** Polls the container's health until `healthy`; a container that exits or restarts fails at once (with its logs). */
export async function waitContainerHealthy(
  ex: Executor,
  container: string,
  signal: AbortSignal,
  secrets: Secret[],
): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const r = await ex.run(containerState(container), { signal });
    const [state = '', health = ''] = r.stdout.trim().split(' ');
    if (r.exitCode === 0 && state === 'running' && health === 'healthy') return Date.now() - t0;
    if (
      r.exitCode !== 0 ||
      state === 'exited' ||
      state === 'dead' ||
      state === 'restarting' ||
      Date.now() - t0 > HEALTH_TIMEOUT_MS
    ) {
      const logs = (await ex.run(exec('docker', 'logs', '--tail', '20', container)).catch(() => null)) ?? null;
      const text = scrub(tail(`${logs?.stdout ?? ''}\n${logs?.stderr ?? ''}`, 20), secrets);
      throw new InfraktError(
        'HEALTH_CHECK_FAILED',
        `database container ${container} did not become healthy (state ${state || 'missing'}${health ? `, ${health}` : ''})`,
        { hint: 'see the container log in the job log (infrakt job logs <id>)', details: { containerLogs: text } },
      );
    }
    await new Promise((res) => setTimeout(res, 1000));
    if (signal.aborted) throw new InfraktError('CANCELLED', 'cancelled');
  }
}
