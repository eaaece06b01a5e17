import type { ServerRow } from '../../adapters/store/schema.js';
import { and, type Cmd, exec, quietErr, toFile } from '../../core/cmd/index.js';
import { detectScheduler, parseScheduler, type Scheduler } from '../../core/commands/scheduler.js';
import { asRoot } from '../../core/commands/sudo.js';
import * as systemd from '../../core/commands/systemd.js';
import { InfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';

const SYSTEMD_DIR = '/etc/systemd/system';
const CRON_DIR = '/etc/cron.d';

/** systemd when it is PID 1, else a cron daemon; UNSUPPORTED when the server has neither. */
export async function findScheduler(ex: Executor, hint: string): Promise<Scheduler> {
  const r = await runChecked(ex, detectScheduler(), { what: 'detect scheduler' });
  const m = parseScheduler(r.stdout);
  if (m) return m;
  throw new InfraktError('UNSUPPORTED', `${ex.target} has neither systemd (as PID 1) nor a cron daemon`, { hint });
}

export const describeSchedule = (m: Scheduler, unit: string, onCalendar: string): string =>
  m === 'systemd' ? `systemd timer ${unit}.timer (OnCalendar=${onCalendar})` : `cron (${CRON_DIR}/${unit})`;

export interface ScheduleFiles {
  /** The `.service` unit (systemd) and the `.timer` unit. */
  readonly service: string;
  readonly timer: string;
  readonly onCalendar: string;
  /** The /etc/cron.d file (cron). */
  readonly cronFile: string;
}

/**
 * Installs a timer + service (checked by `systemd-analyze calendar` first, enabled and started) or an
 * /etc/cron.d file, as root (sudo for another user).
 */
export async function installSchedule(
  ex: Executor,
  server: Pick<ServerRow, 'name' | 'user'>,
  mechanism: Scheduler,
  unit: string,
  files: ScheduleFiles,
): Promise<void> {
  const u = (cmd: Cmd) => asRoot(cmd, server.user);
  if (mechanism === 'cron') {
    await ex.put(`${CRON_DIR}/${unit}`, files.cronFile, { mode: 0o644, sudo: true });
    return;
  }
  const check = await ex.run(toFile(exec('systemd-analyze', 'calendar', files.onCalendar), '/dev/null'));
  if (check.exitCode !== 0) {
    throw new InfraktError('VALIDATION', `systemd on ${server.name} rejects OnCalendar=${files.onCalendar}`);
  }
  await ex.put(`${SYSTEMD_DIR}/${unit}.service`, files.service, { mode: 0o644, sudo: true });
  await ex.put(`${SYSTEMD_DIR}/${unit}.timer`, files.timer, { mode: 0o644, sudo: true });
  await runChecked(
    ex,
    u(
      and(
        systemd.daemonReload(),
        exec('systemctl', 'enable', `${unit}.timer`),
        exec('systemctl', 'restart', `${unit}.timer`),
      ),
    ),
    { what: 'enable timer' },
  );
}

/** Removes a timer + service (systemd) or an /etc/cron.d file; missing ones are fine. */
export async function removeSchedule(
  ex: Executor,
  server: Pick<ServerRow, 'user'>,
  mechanism: Scheduler,
  unit: string,
): Promise<void> {
  const u = (cmd: Cmd) => asRoot(cmd, server.user);
  if (mechanism === 'systemd') {
    await ex.run(quietErr(u(exec('systemctl', 'disable', '--now', `${unit}.timer`))));
    await runChecked(ex, u(exec('rm', '-f', '--', `${SYSTEMD_DIR}/${unit}.timer`, `${SYSTEMD_DIR}/${unit}.service`)), {
      what: 'remove units',
    });
    await ex.run(u(systemd.daemonReload()));
  } else {
    await runChecked(ex, u(exec('rm', '-f', '--', `${CRON_DIR}/${unit}`)), { what: 'remove cron file' });
  }
}
