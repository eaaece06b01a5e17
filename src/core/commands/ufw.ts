import { and, type Cmd, exec } from '../cmd/index.js';

// Exit 0 when ufw is active, denies incoming by default and has every rule given as an argument
// (`ufw show added` lists rules exactly as the commands that added them, e.g. `ufw allow 22/tcp`).
const CHECK_SCRIPT =
  'command -v ufw >/dev/null || exit 1; ' +
  "ufw status | grep -qx 'Status: active' || exit 1; " +
  'grep -qx \'DEFAULT_INPUT_POLICY="DROP"\' /etc/default/ufw || exit 1; ' +
  'a=$(ufw show added) || exit 1; ' +
  'for r do printf "%s\\n" "$a" | grep -qxF "ufw allow $r" || { echo "missing rule: $r"; exit 1; }; done';

/** Rules are ufw rule specs such as `22/tcp` or `443`. */
export const hasPolicy = (rules: readonly string[]): Cmd => exec('sh', '-c', CHECK_SCRIPT, 'sh', ...rules);

export const defaultDenyIncoming = (): Cmd => exec('ufw', 'default', 'deny', 'incoming');
export const defaultAllowOutgoing = (): Cmd => exec('ufw', 'default', 'allow', 'outgoing');
export const allow = (rule: string): Cmd => exec('ufw', 'allow', rule);
export const enable = (): Cmd => exec('ufw', '--force', 'enable');

/**
 * The whole policy in one command: the SSH rule is added before `enable`, so the session that runs
 * it is never cut off; `ufw allow` skips rules that exist.
 */
export const applyPolicy = (rules: readonly string[]): Cmd =>
  and(defaultDenyIncoming(), defaultAllowOutgoing(), ...rules.map(allow), enable());
