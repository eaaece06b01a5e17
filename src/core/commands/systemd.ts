import { and, type Cmd, exec, not, or } from '../cmd/index.js';

export const isEnabled = (unit: string): Cmd => exec('systemctl', 'is-enabled', '--quiet', unit);
export const isActive = (unit: string): Cmd => exec('systemctl', 'is-active', '--quiet', unit);
/** Enabled at boot and running now. */
export const isUp = (unit: string): Cmd => and(isEnabled(unit), isActive(unit));
export const enableNow = (unit: string): Cmd => exec('systemctl', 'enable', '--now', unit);
export const enable = (unit: string): Cmd => exec('systemctl', 'enable', unit);
export const restart = (unit: string): Cmd => exec('systemctl', 'restart', unit);
/** Restarts a unit only when it is running (a config change must reach a live daemon; a stopped one reads it on start). */
export const restartIfActive = (unit: string): Cmd => or(not(isActive(unit)), restart(unit));
export const daemonReload = (): Cmd => exec('systemctl', 'daemon-reload');
