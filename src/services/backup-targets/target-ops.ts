import type { ServerRow } from '../../adapters/store/schema.js';
import * as restic from '../../core/commands/restic.js';
import { parseSnapshots } from '../../core/commands/restic-output.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import { tail } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import { readDataSubsetSchema } from '../../core/schemas/backup-target.js';
import { parseInput } from '../../core/schemas/parse.js';
import { scrub } from '../../core/secret.js';
import { getServerRow } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { withServer } from '../shared/server-session.js';
import { openRepoStep } from './push.js';
import { targetRepo } from './session.js';
import { keyFingerprint, type ResolvedTarget, recordTargetCheck, resolveTarget } from './targets.js';

/** The server a target is reached from: the one named, or the only one there is. */
export async function serverForTarget(ctx: Ctx, server?: string): Promise<ServerRow> {
  if (server) return getServerRow(ctx, server);
  const all = await ctx.store.db.selectFrom('servers').selectAll().limit(2).execute();
  if (all.length === 1) return all[0]!;
  throw new InfraktError(
    'VALIDATION',
    all.length === 0
      ? 'no server to reach the target from'
      : 'several servers: say which one reaches the target (--server)',
    { hint: all.length === 0 ? 'add one: infrakt server add …' : 'e.g. --server prod-1' },
  );
}

function targetJob(t: ResolvedTarget, server: ServerRow, kind: string, steps: string[]) {
  return {
    kind,
    target: `${server.name} → ${t.name}`,
    serverId: server.id,
    params: { target: t.name, server: server.name },
    plannedSteps: ['connect', ...steps],
  };
}

async function withTarget<T>(
  ctx: Ctx,
  job: JobContext,
  t: ResolvedTarget,
  server: ServerRow,
  kind: 'test' | 'verify',
  fn: (x: Awaited<ReturnType<typeof openRepoStep>>) => Promise<{ result: T; message: string }>,
  create: boolean,
): Promise<T> {
  const repo = targetRepo(t);
  job.addSecrets(repo.password, ...[repo.secretAccessKey, repo.sshKey].filter((s) => s !== null));
  try {
    return await withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
      const session = await openRepoStep(ctx, job, ex, server, repo, { create });
      try {
        const { result, message } = await fn(session);
        await recordTargetCheck(ctx, t, { kind, at: nowIso(ctx), status: 'ok', message, server: server.name });
        return result;
      } finally {
        await session.close();
      }
    });
  } catch (e) {
    const err = toInfraktError(e);
    await recordTargetCheck(ctx, t, {
      kind,
      at: nowIso(ctx),
      status: 'failed',
      message: err.message,
      server: server.name,
    });
    throw err;
  }
}

export interface TargetTestResult {
  target: string;
  server: string;
  snapshots: number;
  hostKeyFingerprint: string | null;
}

/**
 * `backup-target test T [--server S]`: from the server, pins the SFTP host key (first contact), opens the
 * repository with the stored password (creating it when there is none) and counts its snapshots.
 */
export async function prepareTestTarget(
  ctx: Ctx,
  name: string,
  opts: { server?: string } = {},
): Promise<JobPlan<TargetTestResult>> {
  const t = await resolveTarget(ctx, name);
  const server = await serverForTarget(ctx, opts.server);
  return {
    spec: targetJob(t, server, 'backup-target.test', [`open target ${t.name}`, 'list snapshots']),
    body: (job) =>
      withTarget(
        ctx,
        job,
        t,
        server,
        'test',
        async (session) => {
          const n = await job.step('list snapshots', async (s) => {
            const r = await session.checked(restic.snapshots(), 'listing snapshots', { signal: job.signal });
            const count = parseSnapshots(r.stdout).length;
            s.detail(`${count} snapshot(s)`);
            return count;
          });
          await audit(ctx, 'backup-target.test', t.name, { server: server.name });
          const fp =
            t.location.kind === 'sftp' && t.location.hostKeys[0] ? keyFingerprint(t.location.hostKeys[0]) : null;
          return {
            result: { target: t.name, server: server.name, snapshots: n, hostKeyFingerprint: fp },
            message: `${n} snapshot(s)`,
          };
        },
        true,
      ),
  };
}

export interface TargetVerifyResult {
  target: string;
  server: string;
  readDataSubset: string;
  ms: number;
}

/**
 * `backup-target verify T [--read-data-subset 10%]`: `restic check` (index, snapshots, trees, pack sizes) plus a
 * bounded read of the data packs (their contents hashed and decrypted). Problems fail the job.
 */
export async function prepareVerifyTarget(
  ctx: Ctx,
  name: string,
  opts: { server?: string; readDataSubset?: string } = {},
): Promise<JobPlan<TargetVerifyResult>> {
  const t = await resolveTarget(ctx, name);
  const server = await serverForTarget(ctx, opts.server);
  const subset = parseInput(readDataSubsetSchema, opts.readDataSubset ?? '10%', '--read-data-subset');
  return {
    spec: {
      ...targetJob(t, server, 'backup-target.verify', [`open target ${t.name}`, 'restic check']),
      params: { target: t.name, server: server.name, readDataSubset: subset },
    },
    body: (job) =>
      withTarget(
        ctx,
        job,
        t,
        server,
        'verify',
        async (session) => {
          const t0 = Date.now();
          await job.step('restic check', async (s) => {
            const r = await session.run(restic.check(subset), {
              signal: job.signal,
              onLine: (_stream, line) => s.log(line),
            });
            s.exitCode(r.exitCode);
            if (r.exitCode !== 0) {
              const out = scrub(tail(`${r.stdout}\n${r.stderr}`, 8), [session.repo.password]);
              throw new InfraktError('STATE', `restic check found problems in target ${t.name}`, {
                hint: 'take a new backup to a sound target; `restic repair` (restic ≥ 0.16) or the restic docs on troubleshooting help repair this one',
                details: { exitCode: r.exitCode, output: out },
              });
            }
            s.detail(`no errors (read ${subset} of the data)`);
          });
          await audit(ctx, 'backup-target.verify', t.name, { server: server.name, readDataSubset: subset });
          return {
            result: { target: t.name, server: server.name, readDataSubset: subset, ms: Date.now() - t0 },
            message: `no errors (read ${subset} of the data)`,
          };
        },
        false,
      ),
  };
}
