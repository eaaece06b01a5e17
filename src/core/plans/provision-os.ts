import type { AptRepo } from '../commands/apt.js';
import { InfraktError } from '../errors.js';

export interface HostFacts {
  readonly os: OsRelease;
  readonly uid: number;
  /** The server-side port of the SSH connection infrakt is on (from `$SSH_CONNECTION`), if known. */
  readonly sshPort: number | null;
}

export interface OsRelease {
  readonly id: string;
  readonly versionId: string;
  readonly codename: string;
  readonly pretty: string;
}

/** Parses the output of `commands/os.detect()`. Pure. */
export function parseHostFacts(stdout: string): HostFacts {
  const vars = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const raw = m[2] ?? '';
    vars.set(m[1] ?? '', raw.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'));
  }
  const conn = (vars.get('INFRAKT_SSH_CONNECTION') ?? '').split(' ');
  const port = Number(conn[3]);
  return {
    os: {
      id: vars.get('ID') ?? '',
      versionId: vars.get('VERSION_ID') ?? '',
      codename: vars.get('VERSION_CODENAME') ?? '',
      pretty: vars.get('PRETTY_NAME') ?? (vars.get('ID') || 'unknown OS'),
    },
    uid: Number(vars.get('INFRAKT_UID') ?? Number.NaN),
    sshPort: Number.isInteger(port) && port > 0 && port < 65536 ? port : null,
  };
}

/**
 * What to install where. Distro packages first: they come from the mirror the server already
 * trusts (often a provider-local one), need no third-party key, and get security updates with the
 * rest of the system. Docker's own repository only where the release has no Compose v2 package
 * (Debian 12 ships Compose v1 only), Caddy's own repository where the release has no `caddy`
 * (Ubuntu 22.04).
 */
export interface PackagePlan {
  /** Packages that provide Docker Engine, its CLI and the Compose v2 plugin. */
  readonly docker: readonly string[];
  /** Everything else provisioning needs. */
  readonly base: readonly string[];
  readonly repos: readonly AptRepo[];
  readonly source: string;
}

// restic: off-site backups (infrakt backup-target) run it on the server.
const BASE = ['caddy', 'ufw', 'fail2ban', 'python3-systemd', 'restic'];

const dockerRepo = (distro: 'debian' | 'ubuntu', codename: string): AptRepo => ({
  name: 'docker',
  keyUrl: `https://download.docker.com/linux/${distro}/gpg`,
  line: `deb [arch=amd64,arm64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/${distro} ${codename} stable`,
});

const CADDY_REPO: AptRepo = {
  name: 'caddy',
  keyUrl: 'https://dl.cloudsmith.io/public/caddy/stable/gpg.key',
  line: 'deb [signed-by=/etc/apt/keyrings/caddy.asc] https://dl.cloudsmith.io/public/caddy/stable/deb/debian any-version main',
};

const SUPPORTED = 'Ubuntu 22.04, Ubuntu 24.04, Debian 12 and Debian 13';

export function packagePlan(os: OsRelease): PackagePlan {
  const key = `${os.id} ${os.versionId}`;
  switch (key) {
    case 'debian 13':
      return {
        docker: ['docker.io', 'docker-cli', 'docker-compose'],
        base: BASE,
        repos: [],
        source: 'Debian 13 packages (docker.io 26, docker-compose 2.x, caddy)',
      };
    case 'ubuntu 24.04':
      return {
        docker: ['docker.io', 'docker-compose-v2'],
        base: BASE,
        repos: [],
        source: 'Ubuntu packages (docker.io, docker-compose-v2, caddy)',
      };
    case 'ubuntu 22.04':
      return {
        docker: ['docker.io', 'docker-compose-v2'],
        base: BASE,
        repos: [CADDY_REPO],
        source: "Ubuntu packages (docker.io, docker-compose-v2); Caddy's apt repository (22.04 has no caddy)",
      };
    case 'debian 12':
      return {
        docker: ['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-compose-plugin'],
        base: BASE,
        repos: [dockerRepo('debian', os.codename || 'bookworm')],
        source: "Docker's apt repository (Debian 12 has Compose v1 only); caddy from Debian",
      };
    default:
      throw new InfraktError('UNSUPPORTED', `cannot provision ${os.pretty || 'this OS'}: not a supported release`, {
        hint: `infrakt provisions ${SUPPORTED}; install Docker, Compose v2 and Caddy yourself on other systems`,
        details: { id: os.id, versionId: os.versionId },
      });
  }
}
