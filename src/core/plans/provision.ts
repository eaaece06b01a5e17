import { and, type Cmd, exec } from '../cmd/index.js';
import * as apt from '../commands/apt.js';
import { caddyPaths } from '../commands/caddy.js';
import * as f2b from '../commands/fail2ban.js';
import * as os from '../commands/os.js';
import { asRoot } from '../commands/sudo.js';
import * as systemd from '../commands/systemd.js';
import * as ufw from '../commands/ufw.js';
import type { ProxySettings } from '../schemas/server.js';
import type { PackagePlan } from './provision-os.js';

/** A check: exit 0 means "already as wanted"; anything else means the step has work to do. */
export interface Check {
  readonly cmd: Cmd;
  readonly stdin?: string;
}

export interface RetryPolicy {
  /** Exit codes that mean "try again later" (a held lock, a mirror hiccup). */
  readonly on: readonly number[];
  /** Waits before each retry; its length is the number of retries. */
  readonly delaysMs: readonly number[];
}

export type Action =
  | {
      readonly kind: 'run';
      readonly what: string;
      readonly cmd: Cmd;
      readonly stdin?: string;
      readonly retry?: RetryPolicy;
    }
  | {
      readonly kind: 'put';
      readonly what: string;
      readonly path: string;
      readonly content: string;
      readonly mode: number;
    };

export interface ProvisionStep {
  readonly name: string;
  /** What applying the step changes, said before it runs (`--dry-run`, job log). */
  readonly change: string;
  /** What "unchanged" means for this step. */
  readonly unchanged: string;
  readonly checks: readonly Check[];
  /** Checks after acting (default: `checks` again); empty when the checks say "needed", not "done". */
  readonly verify?: readonly Check[];
  readonly actions: readonly Action[];
  /** For everything the step runs, retries included. */
  readonly timeoutMs: number;
  /** Shown with a configuration error (a non-transient failure). */
  readonly hint: string;
  /** Only checks and reports (never changes anything); a failing check fails the step. */
  readonly checkOnly?: boolean;
}

export interface ProvisionInput {
  readonly root: string;
  /** The SSH user: commands are wrapped in `sudo -n` unless it is root. */
  readonly user: string;
  /** The port infrakt is connected on: allowed in the firewall before it is enabled. */
  readonly sshPort: number;
  readonly proxy: ProxySettings;
  readonly packages: PackagePlan;
  /** Written only when the server has no Caddyfile yet (afterwards deploys own it). */
  readonly initialCaddyfile: string;
}

export const DOCKER_NETWORK = 'infrakt';
export const DAEMON_JSON_PATH = '/etc/docker/daemon.json';
export const CADDY_DROPIN_PATH = '/etc/systemd/system/caddy.service.d/infrakt.conf';

/** Container logs rotate (Docker's default json-file log grows without bound). */
export const DAEMON_JSON = `${JSON.stringify({ 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m', 'max-file': '3' } }, null, 2)}\n`;

const APT_RETRY: RetryPolicy = { on: [apt.APT_TRANSIENT_EXIT], delaysMs: [2_000, 5_000, 10_000] };
const CURL_RETRY: RetryPolicy = { on: apt.CURL_TRANSIENT_EXITS, delaysMs: [2_000, 5_000] };
const MIN = 60_000;

/** Caddy runs infrakt's rendered config, with a home for its state (without HOME it writes to `/caddy`). */
export function caddyDropIn(root: string, adminAddress: string): string {
  const config = caddyPaths(root).config;
  return [
    '# Managed by infrakt (server provision): Caddy serves the config infrakt renders.',
    '[Service]',
    'Environment=HOME=/var/lib/caddy XDG_DATA_HOME=/var/lib/caddy/.local/share XDG_CONFIG_HOME=/var/lib/caddy/.config',
    'ExecStart=',
    `ExecStart=/usr/bin/caddy run --config ${config} --adapter caddyfile`,
    'ExecReload=',
    `ExecReload=/usr/bin/caddy reload --config ${config} --adapter caddyfile --address ${adminAddress} --force`,
    '',
  ].join('\n');
}

/** The firewall rules: SSH first (it must be open before ufw is enabled), then HTTP and HTTPS (+ HTTP/3). */
export function firewallRules(sshPort: number, proxy: ProxySettings): string[] {
  return [`${sshPort}/tcp`, `${proxy.httpPort}/tcp`, `${proxy.httpsPort}`];
}

export function infraktDirs(root: string, user: string) {
  const p = caddyPaths(root);
  return [
    { path: root, owner: user, group: 'root', mode: '755' },
    // App dirs hold .env files and compose files: not for other users.
    { path: `${root}/apps`, owner: user, group: 'root', mode: '750' },
    // Caddy (user `caddy`) reads the Caddyfile from here.
    { path: p.dir, owner: user, group: 'root', mode: '755' },
    // Database dumps.
    { path: `${root}/backups`, owner: user, group: 'root', mode: '700' },
  ];
}

/** The provisioning plan for one host, in order. Pure: same input, same steps. */
export function provisionPlan(input: ProvisionInput): ProvisionStep[] {
  const r = (cmd: Cmd) => asRoot(cmd, input.user);
  const run = (what: string, cmd: Cmd, extra: { stdin?: string; retry?: RetryPolicy } = {}): Action => ({
    kind: 'run',
    what,
    cmd: r(cmd),
    ...extra,
  });
  const check = (cmd: Cmd, stdin?: string): Check => ({ cmd: r(cmd), stdin });
  const put = (what: string, path: string, content: string, mode = 0o644): Action => ({
    kind: 'put',
    what,
    path,
    content,
    mode,
  });
  const pk = input.packages;
  const dockerReady = and(
    apt.quiet(exec('sh', '-c', 'command -v dockerd')),
    apt.quiet(exec('docker', 'compose', 'version')),
  );
  const caddy = caddyPaths(input.root);
  const dirs = infraktDirs(input.root, input.user);
  const dropIn = caddyDropIn(input.root, input.proxy.adminAddress);
  const jail = f2b.sshdJail({ sshPort: input.sshPort });
  const steps: ProvisionStep[] = [];

  if (pk.repos.length > 0) {
    steps.push({
      name: 'apt-sources',
      change: `add apt repositories: ${pk.repos.map((x) => x.name).join(', ')}`,
      unchanged: 'repositories configured',
      checks: pk.repos.flatMap((repo) => [
        check(apt.hasKey(repo)),
        check(os.fileMatches(apt.repoListPath(repo)), `${repo.line}\n`),
      ]),
      actions: pk.repos.flatMap((repo) => [
        run(`fetch ${repo.name} key`, apt.fetchKey(repo), { retry: CURL_RETRY }),
        put(`write ${apt.repoListPath(repo)}`, apt.repoListPath(repo), `${repo.line}\n`),
      ]),
      timeoutMs: 2 * MIN,
      hint: 'the server must reach the repository over HTTPS; check its DNS and outbound firewall',
    });
  }
  steps.push({
    name: 'apt-update',
    change: 'refresh package lists (packages are missing)',
    unchanged: 'all packages present, lists not needed',
    checks: [check(apt.allInstalled(pk.base)), check(dockerReady)],
    // Fresh lists are the result; the packages come in later steps.
    verify: [],
    actions: [run('apt-get update', apt.update(), { retry: APT_RETRY })],
    timeoutMs: 5 * MIN,
    hint: 'check /etc/apt/sources.list* on the server and that it reaches its mirror',
  });
  steps.push({
    name: 'docker-config',
    change: `write ${DAEMON_JSON_PATH} (json-file logs, 10 MB x 3 per container)`,
    unchanged: 'log rotation configured',
    checks: [check(os.fileMatches(DAEMON_JSON_PATH), DAEMON_JSON)],
    actions: [
      run('keep the original daemon.json', os.keepOriginal(DAEMON_JSON_PATH)),
      run('create /etc/docker', exec('install', '-d', '-m', '0755', '/etc/docker')),
      put(`write ${DAEMON_JSON_PATH}`, DAEMON_JSON_PATH, DAEMON_JSON),
      run('restart docker if running', systemd.restartIfActive('docker')),
    ],
    timeoutMs: 2 * MIN,
    hint: `fix ${DAEMON_JSON_PATH} on the server (the previous one is kept as daemon.json.infrakt-orig)`,
  });
  steps.push({
    name: 'docker-engine',
    change: `install ${pk.docker.join(' ')} (${pk.source})`,
    unchanged: 'Docker Engine and Compose v2 installed',
    checks: [check(dockerReady)],
    actions: [run(`apt-get install ${pk.docker.join(' ')}`, apt.install(pk.docker), { retry: APT_RETRY })],
    timeoutMs: 15 * MIN,
    hint: 'see the apt output above; a docker package from another source may conflict (remove it, or install Compose v2)',
  });
  steps.push({
    name: 'packages',
    change: `install ${pk.base.join(' ')}`,
    unchanged: 'installed',
    checks: [check(apt.allInstalled(pk.base))],
    actions: [run(`apt-get install ${pk.base.join(' ')}`, apt.install(pk.base), { retry: APT_RETRY })],
    timeoutMs: 15 * MIN,
    hint: 'see the apt output above',
  });
  const nonRoot = input.user !== 'root';
  steps.push({
    name: 'docker',
    change: `enable and start docker${nonRoot ? `, add ${input.user} to the docker group` : ''}`,
    unchanged: 'docker enabled and running',
    checks: [
      check(systemd.isUp('docker')),
      check(apt.quiet(exec('docker', 'info'))),
      ...(nonRoot ? [check(os.inGroup(input.user, 'docker'))] : []),
    ],
    actions: [
      run('systemctl enable --now docker', systemd.enableNow('docker')),
      ...(nonRoot ? [run(`add ${input.user} to docker`, os.addToGroup(input.user, 'docker'))] : []),
    ],
    timeoutMs: 2 * MIN,
    hint: 'see `journalctl -u docker` on the server',
  });
  steps.push({
    name: 'docker-network',
    change: `create the Docker network '${DOCKER_NETWORK}'`,
    unchanged: 'network exists',
    checks: [check(apt.quiet(exec('docker', 'network', 'inspect', DOCKER_NETWORK)))],
    actions: [run(`docker network create ${DOCKER_NETWORK}`, exec('docker', 'network', 'create', DOCKER_NETWORK))],
    timeoutMs: MIN,
    hint: 'a network with another driver or subnet conflict? see `docker network ls` on the server',
  });
  steps.push({
    name: 'directories',
    change: `create ${dirs.map((d) => d.path).join(', ')} with their owners and modes`,
    unchanged: 'present with the right owners and modes',
    checks: [check(os.dirsMatch(dirs))],
    actions: dirs.map((d) => run(`install -d ${d.path}`, os.installDir(d))),
    timeoutMs: MIN,
    hint: `a file where a directory should be? check ${input.root} on the server`,
  });
  steps.push({
    name: 'caddy',
    change: `run Caddy as a systemd service on ${caddy.config}`,
    unchanged: 'caddy enabled and running infrakt’s config',
    checks: [
      check(os.fileMatches(CADDY_DROPIN_PATH), dropIn),
      check(exec('test', '-s', caddy.config)),
      check(os.dirsMatch([{ path: caddy.data, owner: 'caddy', group: 'caddy', mode: '700' }])),
      check(systemd.isUp('caddy')),
    ],
    actions: [
      run('create the unit drop-in dir', exec('install', '-d', '-m', '0755', '/etc/systemd/system/caddy.service.d')),
      put(`write ${CADDY_DROPIN_PATH}`, CADDY_DROPIN_PATH, dropIn),
      run(`install -d ${caddy.data}`, os.installDir({ path: caddy.data, owner: 'caddy', group: 'caddy', mode: '700' })),
      run(`write ${caddy.config} if missing`, os.writeIfMissing(caddy.config, '0644'), {
        stdin: input.initialCaddyfile,
      }),
      run('caddy validate', exec('caddy', 'validate', '--config', caddy.config, '--adapter', 'caddyfile')),
      run('systemctl daemon-reload', systemd.daemonReload()),
      run('enable caddy', systemd.enable('caddy')),
      run('restart caddy', systemd.restart('caddy')),
    ],
    timeoutMs: 2 * MIN,
    hint: `see \`journalctl -u caddy\` on the server and ${caddy.config}`,
  });
  const rules = firewallRules(input.sshPort, input.proxy);
  steps.push({
    name: 'firewall',
    change: `ufw: deny incoming, allow ${rules.join(', ')}, enable`,
    unchanged: `active, allows ${rules.join(', ')}`,
    checks: [check(ufw.hasPolicy(rules))],
    actions: [run('ufw policy', ufw.applyPolicy(rules))],
    timeoutMs: MIN,
    hint: 'see `ufw status verbose` on the server (iptables must work: no container without NET_ADMIN)',
  });
  steps.push({
    name: 'fail2ban',
    change: `sshd jail on port ${input.sshPort} reading the journal (${f2b.JAIL_PATH})`,
    unchanged: 'sshd jail running',
    checks: [
      check(os.fileMatches(f2b.JAIL_PATH), jail),
      check(systemd.isUp('fail2ban')),
      check(apt.quiet(f2b.jailRunning())),
    ],
    actions: [
      put(`write ${f2b.JAIL_PATH}`, f2b.JAIL_PATH, jail),
      run('enable fail2ban', systemd.enable('fail2ban')),
      run('restart fail2ban', systemd.restart('fail2ban')),
      run('wait for the sshd jail', f2b.waitForJail()),
    ],
    timeoutMs: 2 * MIN,
    hint: 'see `journalctl -u fail2ban` on the server',
  });
  steps.push({
    name: 'exposure',
    change: 'nothing (check only)',
    unchanged: `only ${[input.sshPort, input.proxy.httpPort, input.proxy.httpsPort].join(', ')} reachable`,
    checks: [check(os.exposure([input.sshPort, input.proxy.httpPort, input.proxy.httpsPort]))],
    actions: [],
    checkOnly: true,
    timeoutMs: MIN,
    hint: 'publish container ports on 127.0.0.1 only (e.g. "127.0.0.1:8080:80") and route them through Caddy',
  });
  return steps;
}
