// The provisioning builders, as the exact shell text they render to (this file reads as their spec).
import { describe, expect, it } from 'vitest';
import { render } from '../../src/core/cmd/index.js';
import * as apt from '../../src/core/commands/apt.js';
import * as f2b from '../../src/core/commands/fail2ban.js';
import * as os from '../../src/core/commands/os.js';
import { asRoot, canSudo } from '../../src/core/commands/sudo.js';
import * as systemd from '../../src/core/commands/systemd.js';
import * as ufw from '../../src/core/commands/ufw.js';

const docker: apt.AptRepo = {
  name: 'docker',
  keyUrl: 'https://download.docker.com/linux/debian/gpg',
  line: 'deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable',
};

describe('apt', () => {
  it('update: non-interactive, waits for the dpkg lock', () => {
    expect(render(apt.update())).toBe("DEBIAN_FRONTEND=noninteractive apt-get -q -o 'DPkg::Lock::Timeout=60' update");
  });
  it('install: no prompts, keeps local config files, no recommends', () => {
    expect(render(apt.install(['caddy', 'ufw']))).toBe(
      "DEBIAN_FRONTEND=noninteractive apt-get -q -y -o 'DPkg::Lock::Timeout=60' -o 'Dpkg::Options::=--force-confdef' -o 'Dpkg::Options::=--force-confold' install --no-install-recommends caddy ufw",
    );
  });
  it('allInstalled: package names are positional arguments of a constant script', () => {
    const text = render(apt.allInstalled(['caddy', 'ufw']));
    expect(text.startsWith("sh -c 'm=; for p do dpkg-query -W")).toBe(true);
    expect(text.endsWith("' sh caddy ufw")).toBe(true);
  });
  it('fetchKey: temp file then rename, key kept ASCII-armored', () => {
    expect(render(apt.fetchKey(docker))).toBe(
      'install -d -m 0755 /etc/apt/keyrings && curl -fsSL --retry 3 -o /etc/apt/keyrings/docker.asc.tmp https://download.docker.com/linux/debian/gpg && chmod 0644 /etc/apt/keyrings/docker.asc.tmp && mv -f /etc/apt/keyrings/docker.asc.tmp /etc/apt/keyrings/docker.asc',
    );
    expect(apt.repoListPath(docker)).toBe('/etc/apt/sources.list.d/docker.list');
  });
  it('quiet: only the exit code speaks', () => {
    expect(render(apt.quiet(apt.hasKey(docker)))).toBe(
      '{ test -s /etc/apt/keyrings/docker.asc 2> /dev/null; } > /dev/null',
    );
  });
});

describe('ufw', () => {
  it('applyPolicy: deny incoming, SSH allowed before enable', () => {
    expect(render(ufw.applyPolicy(['2222/tcp', '80/tcp', '443']))).toBe(
      'ufw default deny incoming && ufw default allow outgoing && ufw allow 2222/tcp && ufw allow 80/tcp && ufw allow 443 && ufw --force enable',
    );
  });
  it('hasPolicy: rules as arguments', () => {
    const text = render(ufw.hasPolicy(['22/tcp', '443']));
    expect(text).toContain("ufw status | grep -qx '\\''Status: active'\\''");
    expect(text.endsWith("' sh 22/tcp 443")).toBe(true);
  });
});

describe('systemd', () => {
  it('isUp = enabled and active', () => {
    expect(render(systemd.isUp('docker'))).toBe(
      'systemctl is-enabled --quiet docker && systemctl is-active --quiet docker',
    );
  });
  it('restartIfActive leaves a stopped unit alone', () => {
    expect(render(systemd.restartIfActive('docker'))).toBe(
      '! systemctl is-active --quiet docker || systemctl restart docker',
    );
  });
  it('enableNow, daemonReload', () => {
    expect(render(systemd.enableNow('docker'))).toBe('systemctl enable --now docker');
    expect(render(systemd.daemonReload())).toBe('systemctl daemon-reload');
  });
});

describe('sudo', () => {
  it('root runs commands as they are', () => {
    expect(render(asRoot(systemd.restart('caddy'), 'root'))).toBe('systemctl restart caddy');
  });
  it('another user goes through sudo -n (never a password prompt)', () => {
    expect(render(asRoot(systemd.restart('caddy'), 'deploy'))).toBe("sudo -n sh -c 'systemctl restart caddy'");
    expect(render(canSudo())).toBe('sudo -n true');
  });
});

describe('os', () => {
  it('fileMatches compares stdin with the file', () => {
    expect(render(os.fileMatches('/etc/docker/daemon.json'))).toBe('cmp -s - /etc/docker/daemon.json');
  });
  it('writeIfMissing never replaces an existing file', () => {
    expect(render(os.writeIfMissing('/opt/infrakt/caddy/Caddyfile', '0644'))).toBe(
      'test -s /opt/infrakt/caddy/Caddyfile || { cat > /opt/infrakt/caddy/Caddyfile.tmp && chmod 0644 /opt/infrakt/caddy/Caddyfile.tmp && mv -f /opt/infrakt/caddy/Caddyfile.tmp /opt/infrakt/caddy/Caddyfile; }',
    );
  });
  it('keepOriginal copies once', () => {
    expect(render(os.keepOriginal('/etc/docker/daemon.json'))).toBe(
      'test -e /etc/docker/daemon.json.infrakt-orig || ! test -f /etc/docker/daemon.json || cp -p -- /etc/docker/daemon.json /etc/docker/daemon.json.infrakt-orig',
    );
  });
  it('installDir sets owner, group and mode', () => {
    expect(render(os.installDir({ path: '/opt/infrakt/apps', owner: 'deploy', group: 'root', mode: '750' }))).toBe(
      'install -d -o deploy -g root -m 750 /opt/infrakt/apps',
    );
  });
  it('dirsMatch and exposure pass data as arguments', () => {
    expect(
      render(os.dirsMatch([{ path: '/opt/infrakt', owner: 'root', group: 'root', mode: '755' }])).endsWith(
        "' sh '/opt/infrakt|root:root:755'",
      ),
    ).toBe(true);
    expect(render(os.exposure([22, 80, 443])).endsWith("' sh 22 80 443")).toBe(true);
    expect(render(os.inGroup('deploy', 'docker'))).toBe(
      'sh -c \'id -nG -- "$1" | tr " " "\\n" | grep -qxF "$2"\' sh deploy docker',
    );
  });
});

describe('fail2ban', () => {
  it('sshd jail reads the journal, including sshd-session (OpenSSH >= 9.8)', () => {
    expect(f2b.sshdJail({ sshPort: 2222 })).toBe(
      [
        '# Managed by infrakt (server provision).',
        '[sshd]',
        'enabled = true',
        'backend = systemd',
        'journalmatch = _SYSTEMD_UNIT=ssh.service + _SYSTEMD_UNIT=sshd.service + _COMM=sshd + _COMM=sshd-session',
        'port = 2222',
        'maxretry = 5',
        'findtime = 10m',
        'bantime = 1h',
        '',
      ].join('\n'),
    );
  });
  it('jail status and the wait for it', () => {
    expect(render(f2b.jailRunning())).toBe('fail2ban-client status sshd');
    expect(render(f2b.waitForJail())).toBe(
      "timeout 30 sh -c 'until fail2ban-client status sshd >/dev/null 2>&1; do sleep 0.5; done'",
    );
  });
});
