import { describe, expect, it } from 'vitest';
import { render } from '../../src/core/cmd/index.js';
import { InfraktError } from '../../src/core/errors.js';
import {
  caddyDropIn,
  DAEMON_JSON,
  firewallRules,
  type ProvisionInput,
  type ProvisionStep,
  provisionPlan,
} from '../../src/core/plans/provision.js';
import { type OsRelease, packagePlan, parseHostFacts } from '../../src/core/plans/provision-os.js';
import { proxySettingsSchema } from '../../src/core/schemas/server.js';

const TRIXIE_RELEASE = `PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
NAME="Debian GNU/Linux"
VERSION_ID="13"
VERSION="13 (trixie)"
VERSION_CODENAME=trixie
ID=debian
`;
const os = (id: string, versionId: string, codename = ''): OsRelease => ({
  id,
  versionId,
  codename,
  pretty: `${id} ${versionId}`,
});
const proxy = proxySettingsSchema.parse({});

function input(over: Partial<ProvisionInput> = {}): ProvisionInput {
  return {
    root: '/opt/infrakt',
    user: 'root',
    sshPort: 22,
    proxy,
    packages: packagePlan(os('debian', '13', 'trixie')),
    initialCaddyfile: '{\n}\n',
    ...over,
  };
}
const step = (steps: ProvisionStep[], name: string) => {
  const s = steps.find((x) => x.name === name);
  if (!s) throw new Error(`no step ${name}`);
  return s;
};
const rendered = (s: ProvisionStep) => [
  ...s.checks.map((c) => render(c.cmd)),
  ...s.actions.flatMap((a) => (a.kind === 'run' ? [render(a.cmd)] : [])),
];

describe('host facts', () => {
  it('parses os-release, uid and the server port of $SSH_CONNECTION', () => {
    const facts = parseHostFacts(
      `${TRIXIE_RELEASE}\nINFRAKT_UID=0\nINFRAKT_SSH_CONNECTION=172.17.0.1 50312 172.17.0.3 2222\n`,
    );
    expect(facts).toEqual({
      os: { id: 'debian', versionId: '13', codename: 'trixie', pretty: 'Debian GNU/Linux 13 (trixie)' },
      uid: 0,
      sshPort: 2222,
    });
  });
  it('no SSH_CONNECTION (local, sudo without env): port unknown', () => {
    expect(
      parseHostFacts('ID=ubuntu\nVERSION_ID="24.04"\nINFRAKT_UID=1000\nINFRAKT_SSH_CONNECTION=\n').sshPort,
    ).toBeNull();
  });
});

describe('package choice', () => {
  it('distro packages where the release has Compose v2', () => {
    expect(packagePlan(os('debian', '13')).docker).toEqual(['docker.io', 'docker-cli', 'docker-compose']);
    expect(packagePlan(os('ubuntu', '24.04')).docker).toEqual(['docker.io', 'docker-compose-v2']);
    expect(packagePlan(os('ubuntu', '24.04')).repos).toEqual([]);
  });
  it("Docker's repository on Debian 12 (Compose v1 only), Caddy's on Ubuntu 22.04 (no caddy)", () => {
    const bookworm = packagePlan(os('debian', '12', 'bookworm'));
    expect(bookworm.docker).toEqual(['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-compose-plugin']);
    expect(bookworm.repos.map((r) => r.line)).toEqual([
      'deb [arch=amd64,arm64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable',
    ]);
    expect(packagePlan(os('ubuntu', '22.04', 'jammy')).repos.map((r) => r.name)).toEqual(['caddy']);
  });
  it('anything else is refused with the supported list', () => {
    for (const o of [os('centos', '9'), os('debian', '11'), os('ubuntu', '20.04'), os('', '')]) {
      const e = (() => {
        try {
          packagePlan(o);
        } catch (err) {
          return err;
        }
      })() as InfraktError;
      expect(e).toBeInstanceOf(InfraktError);
      expect(e.code).toBe('UNSUPPORTED');
      expect(e.hint).toContain('Ubuntu 22.04, Ubuntu 24.04, Debian 12 and Debian 13');
    }
  });
});

describe('provision plan', () => {
  it('Debian 13 as root: the steps, in order', () => {
    expect(provisionPlan(input()).map((s) => s.name)).toEqual([
      'apt-update',
      'docker-config',
      'docker-engine',
      'packages',
      'docker',
      'docker-network',
      'directories',
      'caddy',
      'firewall',
      'fail2ban',
      'exposure',
    ]);
  });
  it('Debian 12 starts with the apt repository', () => {
    const steps = provisionPlan(input({ packages: packagePlan(os('debian', '12', 'bookworm')) }));
    expect(steps[0]?.name).toBe('apt-sources');
    expect(step(steps, 'docker-engine').change).toContain(
      'docker-ce docker-ce-cli containerd.io docker-compose-plugin',
    );
  });
  it('every step checks before it acts, and apt steps retry exit 100 with backoff', () => {
    const steps = provisionPlan(input());
    for (const s of steps) expect(s.checks.length).toBeGreaterThan(0);
    for (const name of ['apt-update', 'docker-engine', 'packages']) {
      const a = step(steps, name).actions[0];
      expect(a?.kind === 'run' && a.retry).toEqual({ on: [100], delaysMs: [2_000, 5_000, 10_000] });
    }
    expect(step(steps, 'exposure').checkOnly).toBe(true);
  });
  it('firewall: the SSH port infrakt is connected on, allowed before enable', () => {
    const s = step(provisionPlan(input({ sshPort: 2222 })), 'firewall');
    const a = s.actions[0];
    expect(a?.kind === 'run' && render(a.cmd)).toBe(
      'ufw default deny incoming && ufw default allow outgoing && ufw allow 2222/tcp && ufw allow 80/tcp && ufw allow 443 && ufw --force enable',
    );
    expect(firewallRules(22, proxySettingsSchema.parse({ httpPort: 8080, httpsPort: 8443 }))).toEqual([
      '22/tcp',
      '8080/tcp',
      '8443',
    ]);
  });
  it('docker-config: rotation written before Docker is installed', () => {
    const steps = provisionPlan(input());
    expect(steps.findIndex((s) => s.name === 'docker-config')).toBeLessThan(
      steps.findIndex((s) => s.name === 'docker-engine'),
    );
    expect(JSON.parse(DAEMON_JSON)).toEqual({
      'log-driver': 'json-file',
      'log-opts': { 'max-size': '10m', 'max-file': '3' },
    });
    expect(step(steps, 'docker-config').checks[0]).toEqual({
      cmd: { kind: 'exec', argv: ['cmp', '-s', '-', '/etc/docker/daemon.json'] },
      stdin: DAEMON_JSON,
    });
  });
  it('caddy: a drop-in runs infrakt’s Caddyfile with a home for its state', () => {
    expect(caddyDropIn('/srv/ikt', 'localhost:2019')).toBe(
      [
        '# Managed by infrakt (server provision): Caddy serves the config infrakt renders.',
        '[Service]',
        'Environment=HOME=/var/lib/caddy XDG_DATA_HOME=/var/lib/caddy/.local/share XDG_CONFIG_HOME=/var/lib/caddy/.config',
        'ExecStart=',
        'ExecStart=/usr/bin/caddy run --config /srv/ikt/caddy/Caddyfile --adapter caddyfile',
        'ExecReload=',
        'ExecReload=/usr/bin/caddy reload --config /srv/ikt/caddy/Caddyfile --adapter caddyfile --address localhost:2019 --force',
        '',
      ].join('\n'),
    );
    const s = step(provisionPlan(input({ root: '/srv/ikt' })), 'caddy');
    const write = s.actions.find((a) => a.what.startsWith('write /srv/ikt/caddy/Caddyfile'));
    expect(write?.kind === 'run' && write.stdin).toBe('{\n}\n');
  });
  it('directories: owners and modes (backups 700, apps 750)', () => {
    const s = step(provisionPlan(input({ user: 'deploy' })), 'directories');
    expect(s.actions.map((a) => (a.kind === 'run' ? render(a.cmd) : a.what))).toEqual([
      "sudo -n sh -c 'install -d -o deploy -g root -m 755 /opt/infrakt'",
      "sudo -n sh -c 'install -d -o deploy -g root -m 750 /opt/infrakt/apps'",
      "sudo -n sh -c 'install -d -o deploy -g root -m 755 /opt/infrakt/caddy'",
      "sudo -n sh -c 'install -d -o deploy -g root -m 700 /opt/infrakt/backups'",
    ]);
  });
  it('a non-root user: every command goes through sudo -n, and joins the docker group', () => {
    const steps = provisionPlan(input({ user: 'deploy' }));
    for (const s of steps) for (const text of rendered(s)) expect(text.startsWith('sudo -n sh -c ')).toBe(true);
    expect(step(steps, 'docker').actions.map((a) => a.what)).toContain('add deploy to docker');
    expect(step(provisionPlan(input()), 'docker').actions.map((a) => a.what)).toEqual([
      'systemctl enable --now docker',
    ]);
  });
  it('fail2ban jail follows the SSH port', () => {
    const s = step(provisionPlan(input({ sshPort: 2222 })), 'fail2ban');
    const put = s.actions.find((a) => a.kind === 'put');
    expect(put?.kind === 'put' && put.path).toBe('/etc/fail2ban/jail.d/infrakt.local');
    expect(put?.kind === 'put' && put.content).toContain('port = 2222\n');
  });
  it('is pure: same input, same plan', () => {
    expect(provisionPlan(input())).toEqual(provisionPlan(input()));
  });
});
