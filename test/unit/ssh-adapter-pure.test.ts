// Pure parts of the ssh adapter: wrapper, marker parsing, put recipe, known_hosts lines, host key parsing.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  fingerprintOfBlob,
  hostKeyFromBlob,
  hostKeyFromLine,
  preferHostKeyType,
} from '../../src/adapters/ssh/host-key.js';
import { knownHostsPattern, renderKnownHosts } from '../../src/adapters/ssh/known-hosts.js';
import {
  killProcessGroupCommand,
  MarkerParser,
  markLoginShellLine,
  wrapInProcessGroup,
} from '../../src/adapters/ssh/process-group.js';
import { putCommand } from '../../src/adapters/ssh/put-command.js';
import { render } from '../../src/core/cmd/index.js';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

describe('process-group wrapper', () => {
  it('runs the command through setsid with a pid marker first (real sh)', () => {
    const out = execFileSync('sh', ['-c', wrapInProcessGroup("printf '%s' \"it's\"; exit 0")], { encoding: 'utf8' });
    const [marker, rest] = [out.slice(0, out.indexOf('\n')), out.slice(out.indexOf('\n') + 1)];
    expect(marker).toMatch(/^__infrakt_pgid=\d+$/);
    expect(rest).toBe("it's");
  });

  it('a login-shell line: the marker names the login shell itself, the line runs in it (real bash)', () => {
    const out = execFileSync('bash', ['-c', markLoginShellLine('[[ -n $BASH_VERSION ]] && echo $$')], {
      encoding: 'utf8',
    });
    const [marker, pid] = out.trim().split('\n');
    expect(marker).toBe(`__infrakt_pgid=${pid}`);
  });

  it('the kill command names the group, TERM then KILL', () => {
    const k = killProcessGroupCommand(4242);
    expect(k).toContain('kill -TERM -4242');
    expect(k).toContain('kill -KILL -4242');
    expect(k).toContain('sudo -n kill');
  });

  it('MarkerParser strips rc noise and the marker, across chunk boundaries', () => {
    const p = new MarkerParser();
    expect(p.push(Buffer.from('welcome!\n__infrakt_pg')).length).toBe(0);
    const rest = p.push(Buffer.from('id=123\nhello'));
    expect(p.pgid).toBe(123);
    expect(rest.toString()).toBe('hello');
    expect(p.push(Buffer.from(' world')).toString()).toBe(' world');
  });

  it('MarkerParser without a marker gives everything back at the end', () => {
    const p = new MarkerParser();
    expect(p.push(Buffer.from('setsid: not found\n')).length).toBe(0);
    expect(p.end().toString()).toBe('setsid: not found\n');
    expect(p.pgid).toBeNull();
  });
});

describe('put recipe', () => {
  it('temp file in the same dir, umask 077, chmod, mv; cleans up on failure', () => {
    const s = render(putCommand('/etc/app/my file', 0o640, false, false));
    expect(s).toMatch(
      /^\{ umask 077 && cat > '\/etc\/app\/\.my file\.infrakt-[0-9a-f]{12}' && chmod 0640 '\/etc\/app\/\.my file\.infrakt-[0-9a-f]{12}' && mv -f -- /,
    );
    expect(s).toMatch(/\|\| \{ rm -f '\/etc\/app\/\.my file\.infrakt-[0-9a-f]{12}' && false; \}$/);
  });
  it('keeps the existing mode when none is given (0600 default for secrets)', () => {
    const s = render(putCommand('/x/y', undefined, true, false));
    expect(s).toContain("test -e /x/y && chmod '--reference=/x/y'");
    expect(s).toContain('chmod 0600');
  });
  it('sudo wraps the whole recipe', () => {
    expect(render(putCommand('/x/y', 0o600, false, true))).toMatch(/^sudo -n sh -c '\{ umask 077 && cat > /);
  });
});

describe('host keys and known_hosts', () => {
  it('fingerprints like ssh-keygen -lf', () => {
    const k = hostKeyFromLine(ED25519);
    expect(k?.type).toBe('ssh-ed25519');
    expect(k?.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(k?.line).toBe(ED25519);
    const blob = Buffer.from(ED25519.split(' ')[1] as string, 'base64');
    expect(hostKeyFromBlob(blob).fingerprint).toBe(fingerprintOfBlob(blob));
    expect(hostKeyFromLine('ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl')).toBeNull();
    expect(hostKeyFromLine('garbage')).toBeNull();
  });
  it('asks for the pinned host key type first (in the shape ssh2 applies in order)', async () => {
    expect(preferHostKeyType('ecdsa-sha2-nistp256')).toEqual({
      remove: ['ecdsa-sha2-nistp256'],
      prepend: ['ecdsa-sha2-nistp256'],
    });
    expect(preferHostKeyType('ssh-rsa')?.prepend).toEqual(['ssh-rsa', 'rsa-sha2-256', 'rsa-sha2-512']);
    expect(preferHostKeyType('sk-ssh-ed25519@openssh.com')).toBeNull();
  });
  it('uses [host]:port except on 22', () => {
    expect(knownHostsPattern('10.0.0.5', 22)).toBe('10.0.0.5');
    expect(knownHostsPattern('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
    expect(renderKnownHosts([{ host: 'a', port: 2200, hostKey: ED25519 }])).toBe(`[a]:2200 ${ED25519}\n`);
  });
});
