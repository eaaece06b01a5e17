import { type Cmd, exec } from '../cmd/index.js';

/** What runs scheduled jobs on a server: systemd timers, or a cron daemon reading /etc/cron.d. */
export type Scheduler = 'systemd' | 'cron';

// systemd when it is PID 1 (sd_booted's test), else a cron daemon with /etc/cron.d, else nothing.
const DETECT =
  'if [ -d /run/systemd/system ]; then echo systemd; elif [ -d /etc/cron.d ] && { command -v cron || command -v crond; } >/dev/null 2>&1; then echo cron; else echo none; fi';

export function detectScheduler(): Cmd {
  return exec('sh', '-c', DETECT);
}

/** The scheduler `detectScheduler()` found; null when the server has neither. */
export function parseScheduler(stdout: string): Scheduler | null {
  const m = stdout.trim();
  return m === 'systemd' || m === 'cron' ? m : null;
}
