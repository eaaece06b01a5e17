import type { BackupScriptInput } from '../commands/db-backup.js';
import { dbLayout } from './db-compose.js';

/** Unit/cron-file base name for a database's schedule; a hash of the root keeps two roots on one host apart. */
export function scheduleUnit(name: string, rootHash: string): string {
  return `infrakt-backup-${name}-${rootHash.slice(0, 8)}`;
}

/** `offsite`: a script run after a successful backup (pushing it to a target); a failed backup skips it. */
export function renderServiceUnit(i: BackupScriptInput, keep: number, offsite?: string): string {
  const l = dbLayout(i.root, i.name);
  return [
    `# Managed by infrakt: scheduled backup of database ${i.name}.`,
    '[Unit]',
    `Description=infrakt backup of database ${i.name}`,
    'After=docker.service',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=/bin/sh ${l.backupScript} schedule ${keep}`,
    ...(offsite ? [`ExecStart=/bin/sh ${offsite} schedule`] : []),
    '',
  ].join('\n');
}

export function renderTimerUnit(name: string, onCalendar: string): string {
  return [
    `# Managed by infrakt: when to back up database ${name}.`,
    '[Unit]',
    `Description=infrakt backup schedule of database ${name}`,
    '',
    '[Timer]',
    `OnCalendar=${onCalendar}`,
    // A run missed while the server was off happens at the next boot.
    'Persistent=true',
    'RandomizedDelaySec=30',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

/** An /etc/cron.d entry (servers without systemd as PID 1); output appended to `cron.log` beside the backups. */
export function renderCronFile(i: BackupScriptInput, cron: string, keep: number, offsite?: string): string {
  const l = dbLayout(i.root, i.name);
  return [
    `# Managed by infrakt: scheduled backup of database ${i.name}.`,
    'SHELL=/bin/sh',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    offsite
      ? `${cron} root { /bin/sh ${l.backupScript} schedule ${keep} && /bin/sh ${offsite} schedule; } >>${l.backupsDir}/cron.log 2>&1`
      : `${cron} root /bin/sh ${l.backupScript} schedule ${keep} >>${l.backupsDir}/cron.log 2>&1`,
    '',
  ].join('\n');
}
