import { type Cmd, exec, sudo } from '../cmd/index.js';

/** Exit 0 when the user may run commands as root without a password (`sudo -n` never prompts). */
export const canSudo = (): Cmd => exec('sudo', '-n', 'true');

/** Wraps a command in `sudo -n` for a non-root SSH user; root runs it as is. */
export const asRoot = (cmd: Cmd, user: string): Cmd => (user === 'root' ? cmd : sudo(cmd));
