// provisionServer against a modelled host: the test builds the same pure plan, so every check the
// service runs is mapped to the step it belongs to, and a step's checks pass once its actions ran.
// Real SQLite store and job runner; no module mocks.
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobRunner, type JobRunner } from '../../src/adapters/jobs/runner.js';
import { renderCaddyfile } from '../../src/core/caddy/render.js';
import { type Cmd, render } from '../../src/core/cmd/index.js';
import { caddyPaths } from '../../src/core/commands/caddy.js';
import { InfraktError } from '../../src/core/errors.js';
import { type Executor, NO_STATS, type RunOptions, type RunResult } from '../../src/core/executor.js';
import { provisionPlan } from '../../src/core/plans/provision.js';
import { type OsRelease, packagePlan } from '../../src/core/plans/provision-os.js';
import { proxySettingsSchema } from '../../src/core/schemas/server.js';
import { prepareProvision } from '../../src/services/servers/provision.js';
import { getServer, registerServer } from '../../src/services/servers/servers.js';
import type { Ctx } from '../../src/services/shared/context.js';
import { systemClock } from '../../src/services/shared/context.js';
import { runPlan } from '../../src/services/shared/job-plan.js';
import { openTestState, type TestState } from '../helpers/state.js';

interface HostModel {
  os: OsRelease;
  user: string;
  sudoOk: boolean;
  done: Set<string>;
  /** Exit codes to return, in turn, for actions whose text contains the key. */
  script: Map<string, number[]>;
  actions: string[];
  puts: string[];
  /** Actions whose text contains a key lose their channel once (SSH_UNREACHABLE). */
  lose: Set<string>;
}

const TRIXIE: OsRelease = { id: 'debian', versionId: '13', codename: 'trixie', pretty: 'Debian GNU/Linux 13 (trixie)' };
const ok = (stdout = ''): RunResult => ({ exitCode: 0, stdout, stderr: '', durationMs: 1 });
const fail = (code: number, stderr = ''): RunResult => ({ exitCode: code, stdout: '', stderr, durationMs: 1 });

function modelExecutor(h: HostModel): Executor {
  const plan = provisionPlan({
    root: '/opt/infrakt',
    user: h.user,
    sshPort: 22,
    proxy: proxySettingsSchema.parse({}),
    packages: packagePlan(h.os.id === 'centos' ? TRIXIE : h.os),
    initialCaddyfile: renderCaddyfile({
      proxy: proxySettingsSchema.parse({}),
      routes: [],
      storageDir: caddyPaths('/opt/infrakt').data,
    }),
  });
  // A check belongs to the last step that has it (apt-update asks "are the packages there?").
  const checkOwner = new Map<string, string>();
  const actionOwner = new Map<string, string>();
  // A step's work is done when its last action succeeded.
  const lastAction = new Set<string>();
  const key = (a: (typeof plan)[number]['actions'][number]) => (a.kind === 'run' ? render(a.cmd) : `put ${a.path}`);
  for (const s of plan) {
    for (const c of s.checks) checkOwner.set(render(c.cmd), s.name);
    for (const a of s.actions) actionOwner.set(key(a), s.name);
    const last = s.actions.at(-1);
    if (last) lastAction.add(key(last));
  }
  const run = async (cmd: Cmd, _opts?: RunOptions): Promise<RunResult> => {
    const text = render(cmd);
    if (text.startsWith("sh -c 'cat /etc/os-release")) {
      const rel = `ID=${h.os.id}\nVERSION_ID="${h.os.versionId}"\nPRETTY_NAME="${h.os.pretty}"\n`;
      return ok(
        `${rel}\nINFRAKT_UID=${h.user === 'root' ? 0 : 1000}\nINFRAKT_SSH_CONNECTION=10.0.0.1 5000 10.0.0.2 22\n`,
      );
    }
    if (text === 'sudo -n true') return h.sudoOk ? ok() : fail(1, 'sudo: a password is required');
    const owner = checkOwner.get(text);
    if (owner) {
      if (owner === 'exposure') return ok();
      return h.done.has(owner) ? ok() : fail(1);
    }
    const step = actionOwner.get(text);
    if (!step) throw new Error(`unexpected command: ${text}`);
    h.actions.push(text);
    for (const k of h.lose) {
      if (text.includes(k)) {
        h.lose.delete(k);
        throw new InfraktError('SSH_UNREACHABLE', 'connection to model lost while running a command');
      }
    }
    for (const [key, codes] of h.script) {
      if (text.includes(key) && codes.length > 0) {
        const code = codes.shift() as number;
        if (code !== 0) return fail(code, `scripted failure of ${key}`);
      }
    }
    if (lastAction.has(text)) h.done.add(step);
    return ok();
  };
  return {
    target: `${h.user}@model:22`,
    run,
    stream: (cmd, _onLine, opts) => run(cmd, opts),
    runWithInput: async () => {
      throw new Error('not used');
    },
    runLine: async () => {
      throw new Error('not used');
    },
    stats: () => NO_STATS,
    put: async (path) => {
      h.puts.push(path);
      const step = actionOwner.get(`put ${path}`);
      if (step && lastAction.has(`put ${path}`)) h.done.add(step);
    },
    get: async () => {
      throw new Error('not used');
    },
    connectTcp: async (): Promise<Duplex> => {
      throw new Error('not used');
    },
    pty: async () => {
      throw new Error('not used');
    },
    close: async () => {},
  };
}

let state: TestState;
let jobs: JobRunner;
let host: HostModel;
let ctx: Ctx;

function fresh(over: Partial<HostModel> = {}): HostModel {
  return {
    os: TRIXIE,
    user: 'root',
    sudoOk: true,
    done: new Set(),
    script: new Map(),
    actions: [],
    puts: [],
    lose: new Set(),
    ...over,
  };
}

async function setup(user = 'root') {
  await registerServer(ctx, { name: 'vps', host: '10.0.0.2', user });
}

beforeEach(() => {
  state = openTestState();
  jobs = createJobRunner({ store: state.ctx.store, clock: systemClock, actor: 'test', runner: 'unit' });
  host = fresh();
  ctx = { ...state.ctx, jobs, connect: async () => modelExecutor(host) };
});
afterEach(async () => {
  jobs.close();
  await state.close();
});

const noWait = { sleep: async () => {} };
const provision = async (dryRun = false) => runPlan(ctx, await prepareProvision(ctx, 'vps', { dryRun, ...noWait }));

describe('provisionServer', () => {
  it('fresh host: every step changes it, the server becomes active; a second run changes nothing', async () => {
    await setup();
    const first = await provision();
    expect(first.steps.map((s) => s.status)).toEqual([...Array(10).fill('changed'), 'unchanged']);
    expect((await getServer(ctx, 'vps')).status).toBe('active');
    const record = await jobs.get(first.jobId);
    expect(record.steps.map((s) => s.name).slice(0, 4)).toEqual(['connect', 'os', 'privileges', 'apt-update']);

    const actionsBefore = host.actions.length;
    const second = await provision();
    expect(second.steps.every((s) => s.status === 'unchanged')).toBe(true);
    expect(second.changed).toBe(0);
    expect(host.actions.length).toBe(actionsBefore);
    const rec2 = await jobs.get(second.jobId);
    expect(rec2.steps.filter((s) => s.status !== 'unchanged' && s.name !== 'connect')).toEqual([]);
  });

  it('dry run: checks only, says what would change, server status untouched', async () => {
    await setup();
    const r = await provision(true);
    expect(host.actions).toEqual([]);
    expect(host.puts).toEqual([]);
    expect(r.steps.find((s) => s.name === 'firewall')).toEqual({
      name: 'firewall',
      status: 'would-change',
      detail: 'would ufw: deny incoming, allow 22/tcp, 80/tcp, 443, enable',
    });
    expect((await getServer(ctx, 'vps')).status).toBe('unknown');
  });

  it('a transient apt failure (exit 100: lock held, mirror down) is retried with backoff', async () => {
    await setup();
    host.script.set('apt-get -q -o', [100, 100, 0]);
    const r = await provision();
    expect(r.steps[0]).toMatchObject({ name: 'apt-update', status: 'changed' });
    expect(host.actions.filter((a) => a.includes(' update')).length).toBe(3);
    const logs = await jobs.logs(r.jobId);
    expect(logs.map((l) => l.line)).toContain('apt-get update: exit 100 (transient), retry 1/3 in 2 s');
  });

  it('an action whose channel was lost runs once more (every action is idempotent)', async () => {
    await setup();
    host.lose.add('ufw default deny incoming');
    const r = await provision();
    expect(r.steps.find((s) => s.name === 'firewall')?.status).toBe('changed');
    expect(host.actions.filter((a) => a.startsWith('ufw default deny')).length).toBe(2);
    const logs = (await jobs.logs(r.jobId)).map((l) => l.line);
    expect(logs).toContain(
      'ufw policy: connection to model lost while running a command; running it again (idempotent)',
    );
  });

  it('retries run out: the step fails after its retries', async () => {
    await setup();
    host.script.set('apt-get -q -o', [100, 100, 100, 100]);
    const e = (await provision().catch((err) => err)) as InfraktError;
    expect(e.code).toBe('COMMAND_FAILED');
    expect(e.message).toContain("provision step 'apt-update' failed");
    expect(e.message).toContain('after 3 retries');
  });

  it('a configuration error stops at once: server failed, naming the step and the output; a re-run completes', async () => {
    await setup();
    host.script.set('install -d -o root -g root -m 750', [1]);
    const e = (await provision().catch((err) => err)) as InfraktError;
    expect(e).toBeInstanceOf(InfraktError);
    expect(e.message).toBe(
      "provision step 'directories' failed: install -d /opt/infrakt/apps failed on root@model:22 (exit 1)",
    );
    expect(e.hint).toContain('check /opt/infrakt on the server');
    const s = await getServer(ctx, 'vps');
    expect(s.status).toBe('failed');
    expect(s.lastError).toContain("provision step 'directories' failed");
    expect(s.lastError).toContain('scripted failure of install -d -o root -g root -m 750');
    const job = await jobs.get(e.details?.jobId as string);
    expect(job.steps.find((x) => x.name === 'directories')?.status).toBe('failed');
    expect(job.steps.find((x) => x.name === 'caddy')?.status).toBe('skipped');

    const again = await provision();
    expect(again.steps.find((x) => x.name === 'directories')?.status).toBe('changed');
    expect(again.steps.find((x) => x.name === 'docker-engine')?.status).toBe('unchanged');
    expect((await getServer(ctx, 'vps')).status).toBe('active');
  });

  it('non-root user: sudo without a password is required, with a clear error', async () => {
    await setup('deploy');
    host = fresh({ user: 'deploy', sudoOk: false });
    const e = (await provision().catch((err) => err)) as InfraktError;
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toBe("provision step 'privileges' failed: 'deploy' on vps cannot use sudo without a password");
    expect(e.hint).toContain("echo 'deploy ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/infrakt");
    expect(host.actions).toEqual([]);
  });

  it('non-root user with sudo: every action runs through sudo -n', async () => {
    await setup('deploy');
    host = fresh({ user: 'deploy' });
    await provision();
    expect(host.actions.length).toBeGreaterThan(10);
    for (const a of host.actions) expect(a.startsWith('sudo -n sh -c ')).toBe(true);
  });

  it('an unsupported OS is refused before anything changes', async () => {
    await setup();
    host = fresh({ os: { id: 'centos', versionId: '9', codename: '', pretty: 'CentOS Stream 9' } });
    const e = (await provision().catch((err) => err)) as InfraktError;
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toBe("provision step 'os' failed: cannot provision CentOS Stream 9: not a supported release");
    expect(host.actions).toEqual([]);
    expect((await getServer(ctx, 'vps')).status).toBe('failed');
  });
});
