import type { ServerRow } from '../../adapters/store/schema.js';
import { renderCaddyfile } from '../../core/caddy/render.js';
import { caddyPaths } from '../../core/commands/caddy.js';
import * as osCmd from '../../core/commands/os.js';
import { canSudo } from '../../core/commands/sudo.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import { provisionPlan } from '../../core/plans/provision.js';
import { type HostFacts, packagePlan, parseHostFacts } from '../../core/plans/provision-os.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { applyStep, runReadOnly, type StepOutcome, type StepRunOptions } from './provision-step.js';
import { getServerRow, serverSettings, updateServer } from './servers.js';

export interface ProvisionOptions {
  /** Run the checks only and report what each step would change. */
  readonly dryRun?: boolean;
  /** Waits between retries (tests pass a fast one). */
  readonly sleep?: StepRunOptions['sleep'];
}

export interface ProvisionStepResult {
  readonly name: string;
  readonly status: StepOutcome['status'];
  readonly detail: string;
}

export interface ProvisionResult {
  readonly server: string;
  readonly os: string;
  readonly dryRun: boolean;
  readonly steps: ProvisionStepResult[];
  readonly changed: number;
  readonly durationMs: number;
}

export const provisionLock = (serverId: number): string => `server:${serverId}:provision`;
const PRE_STEPS = ['connect', 'os', 'privileges'];
const PLANNED = [
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
];

async function detect(ex: Executor, job: JobContext): Promise<HostFacts> {
  return job.step('os', async (s) => {
    const res = await runReadOnly(ex, osCmd.detect(), { timeoutMs: 30_000, signal: job.signal });
    const facts = parseHostFacts(res.stdout);
    if (res.exitCode !== 0 || !Number.isInteger(facts.uid)) {
      throw new InfraktError('COMMAND_FAILED', `could not read /etc/os-release on ${ex.target}`, {
        hint: 'provisioning needs a POSIX shell and /etc/os-release on the server',
      });
    }
    packagePlan(facts.os); // refuses unsupported releases before anything is changed
    s.detail(facts.os.pretty);
    s.unchanged(facts.os.pretty);
    return facts;
  });
}

async function checkPrivileges(ex: Executor, job: JobContext, server: ServerRow, facts: HostFacts): Promise<void> {
  await job.step('privileges', async (s) => {
    if (facts.uid === 0) return s.unchanged('connected as root');
    const res = await runReadOnly(ex, canSudo(), { timeoutMs: 30_000, signal: job.signal });
    if (res.exitCode !== 0) {
      throw new InfraktError('FORBIDDEN', `'${server.user}' on ${server.name} cannot use sudo without a password`, {
        hint: `allow it, e.g. as root on the server: echo '${server.user} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/infrakt && chmod 440 /etc/sudoers.d/infrakt`,
        details: { stderrTail: (res.stderr || res.stdout).trim() },
      });
    }
    s.unchanged(`${server.user} via sudo -n`);
  });
}

/** Validates and prepares `server provision <name>`: a job that turns a fresh VM into an infrakt host. */
export async function prepareProvision(
  ctx: Ctx,
  name: string,
  opts: ProvisionOptions = {},
): Promise<JobPlan<ProvisionResult>> {
  const server = await getServerRow(ctx, name);
  const dryRun = Boolean(opts.dryRun);
  return {
    spec: {
      kind: dryRun ? 'server.provision.dry-run' : 'server.provision',
      target: server.name,
      serverId: server.id,
      params: { dryRun },
      locks: [provisionLock(server.id)],
      plannedSteps: [...PRE_STEPS, ...PLANNED],
    },
    body: (job) => provisionBody(ctx, job, server, { ...opts, dryRun }),
  };
}

async function provisionBody(
  ctx: Ctx,
  job: JobContext,
  server: ServerRow,
  opts: ProvisionOptions & { dryRun: boolean },
) {
  const started = Date.now();
  if (!opts.dryRun) await updateServer(ctx, server.id, { status: 'provisioning' });
  let current = 'connect';
  let ex: Executor | undefined;
  try {
    ex = await job.step('connect', async (s) => {
      const e = await ctx.connect(server, { signal: job.signal });
      s.detail(e.target);
      return e;
    });
    current = 'os';
    const facts = await detect(ex, job);
    current = 'privileges';
    await checkPrivileges(ex, job, server, facts);
    const proxy = serverSettings(server).proxy;
    const plan = provisionPlan({
      root: server.root_dir,
      user: server.user,
      sshPort: facts.sshPort ?? server.port,
      proxy,
      packages: packagePlan(facts.os),
      initialCaddyfile: renderCaddyfile({ proxy, routes: [], storageDir: caddyPaths(server.root_dir).data }),
    });
    const steps: ProvisionStepResult[] = [];
    for (const step of plan) {
      current = step.name;
      const outcome = await job.step(step.name, async (s) => {
        const o = await applyStep(ex as Executor, step, s, {
          signal: job.signal,
          dryRun: opts.dryRun,
          sleep: opts.sleep,
        });
        // A dry run's "would change" is a plain detail: the step ran its checks and changed nothing.
        if (o.status === 'unchanged') s.unchanged(o.detail);
        else s.detail(o.detail);
        return o;
      });
      steps.push({ name: step.name, ...outcome });
    }
    const changed = steps.filter((st) => st.status === 'changed').length;
    if (!opts.dryRun) {
      await updateServer(ctx, server.id, { status: 'active', last_error: null, last_checked_at: nowIso(ctx) });
      await audit(ctx, 'server.provision', server.name, { os: facts.os.pretty, changed });
    }
    return {
      server: server.name,
      os: facts.os.pretty,
      dryRun: opts.dryRun,
      steps,
      changed,
      durationMs: Date.now() - started,
    };
  } catch (e) {
    const err = toInfraktError(e);
    if (!opts.dryRun) {
      const outputTail = typeof err.details?.stderrTail === 'string' ? `\n${err.details.stderrTail}` : '';
      await updateServer(ctx, server.id, {
        status: 'failed',
        last_error: `provision step '${current}' failed: ${err.message}${outputTail}`.slice(0, 4000),
        last_checked_at: nowIso(ctx),
      });
    }
    throw new InfraktError(err.code, `provision step '${current}' failed: ${err.message}`, {
      hint: err.hint,
      details: { ...err.details, step: current },
      cause: err,
    });
  } finally {
    await ex?.close();
  }
}
