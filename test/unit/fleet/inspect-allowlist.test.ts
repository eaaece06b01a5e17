import { describe, expect, it } from 'vitest';
import { render } from '../../../src/core/cmd/index.js';
import { INSPECT_COMMANDS, inspectCommand } from '../../../src/core/inspect/allowlist.js';

const r = (c: string, a: string[] = []) => render(inspectCommand(c, a));
const refused = (c: string, a: string[] = []) => {
  try {
    inspectCommand(c, a);
  } catch (e) {
    return (e as Error).message;
  }
  return 'allowed';
};

describe('server_exec allowlist', () => {
  it('renders fixed argv with validated arguments', () => {
    expect(r('systemctl status', ['caddy'])).toBe('systemctl status --no-pager --lines 20 -- caddy');
    expect(r('journalctl', ['docker.service', '100'])).toBe('journalctl --no-pager -n 100 -u docker.service');
    expect(r('docker ps', ['-a'])).toBe(
      "docker ps -a --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}'",
    );
    expect(r('free')).toBe('free -m');
    expect(INSPECT_COMMANDS).toContain('df');
  });

  it('refuses anything else: unknown commands, shell syntax, options smuggled as arguments, too many lines', () => {
    expect(refused('rm', ['-rf', '/'])).toBe("server_exec: 'rm' is not an allowed command");
    expect(refused('systemctl status', ['caddy; rm -rf /'])).toMatch(/is not a systemd unit name/);
    expect(refused('systemctl status', ['--root=/tmp'])).toMatch(/is not a systemd unit name/);
    expect(refused('systemctl status', ['$(touch /tmp/x)'])).toMatch(/is not a systemd unit name/);
    expect(refused('journalctl', ['ssh', '100000'])).toMatch(/line count must be 1-500/);
    expect(refused('docker ps', ['--format', '{{json .}}'])).toMatch(/docker ps takes only -a/);
    expect(refused('df', ['/'])).toMatch(/df takes no arguments/);
    expect(refused('constructor')).toMatch(/is not an allowed command/);
  });
});
