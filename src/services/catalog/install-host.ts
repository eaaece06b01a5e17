// Installing a host entry: a non-interactive script run on the server under the contract of seed 001 —
// inputs as environment variables (from a 0600 file sent as data, never argv), no stdin, no pty, a time limit
// that kills the whole process group (exit 124), exit codes 0/1/2/3 with their meanings, bounded retries of
// exit 2, the OS checked first, and check.sh turning a second run into "unchanged".
import type { CatalogEntry } from '../../adapters/catalog/catalog-dir.js';
import type { ServerRow } from '../../adapters/store/schema.js';
import {
  EXIT_CONFIG_ERROR,
  EXIT_INSTALL_ERROR,
  EXIT_INVALID_INPUT,
  EXIT_OK,
  EXIT_TIMEOUT,
  exitMeaning,
  installerLayout,
  osMismatch,
  prepareDir,
  renderInstallerEnv,
  retryable,
  retryDelaySeconds,
  runScript,
} from '../../core/catalog/host-installer.js';
import { renderEntry } from '../../core/catalog/render.js';
import { exec, sudo } from '../../core/cmd/index.js';
import * as fs from '../../core/commands/fs.js';
import * as os from '../../core/commands/os.js';
import { type ErrorCode, InfraktError, isInfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import type { JobContext, StepHandle } from '../../core/jobs.js';
import { parseHostFacts } from '../../core/plans/provision-os.js';
import type { Secret } from '../../core/secret.js';
import { getServerRow } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { type CatalogInstallResult, type InstallTarget, outputsOf } from './install-compose.js';
import { publicValues, resolveOrThrow, secretValues } from './values.js';

const ERROR_FOR_EXIT: Record<number, ErrorCode> = {
  [EXIT_INVALID_INPUT]: 'VALIDATION',
  [EXIT_INSTALL_ERROR]: 'COMMAND_FAILED',
  [EXIT_CONFIG_ERROR]: 'STATE',
  [EXIT_TIMEOUT]: 'TIMEOUT',
};

function installerFailed(id: string, code: number, attempts: number): InfraktError {
  const gaveUp = code === EXIT_INSTALL_ERROR && attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
  return new InfraktError(
    ERROR_FOR_EXIT[code] ?? 'COMMAND_FAILED',
    `installer ${id} exited ${code}: ${exitMeaning(code)}${gaveUp}`,
    {
      details: { exitCode: code, meaning: exitMeaning(code), attempts },
      hint:
        code === EXIT_INVALID_INPUT
          ? `check the values against: infrakt catalog show ${id}`
          : 'see the installer output in the job log (infrakt job logs <id>)',
    },
  );
}

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new InfraktError('CANCELLED', 'cancelled while waiting to retry the installer'));
    });
  });

interface RunCtx {
  ex: Executor;
  job: JobContext;
  entry: CatalogEntry;
  root: string;
  asRoot: boolean;
  env: string;
  secrets: Secret[];
}

/** Sends the env file (0600, as data) and runs one script; resolves with its exit code (124 on the time limit). */
async function runOnce(r: RunCtx, script: string, s: StepHandle): Promise<number> {
  const l = installerLayout(r.root, r.entry.manifest.id);
  await r.ex.put(l.envFile, r.env, { mode: 0o600, sudo: r.asRoot });
  try {
    const res = await r.ex.stream(runScript(l, script, { sudo: r.asRoot }), (stream, line) => s.log(line, stream), {
      timeoutMs: r.entry.manifest.timeout_seconds * 1000,
      signal: r.job.signal,
      secrets: r.secrets,
    });
    return res.exitCode;
  } catch (e) {
    // The executor killed the remote process group when the limit passed: the contract's 124.
    if (isInfraktError(e) && e.code === 'TIMEOUT') return EXIT_TIMEOUT;
    throw e;
  } finally {
    // The wrapper removes the file once read; this covers a script that never started.
    await r.ex.run(r.asRoot ? sudo(fs.rmFile(l.envFile)) : fs.rmFile(l.envFile)).catch(() => undefined);
  }
}

async function recordRun(
  ctx: Ctx,
  server: ServerRow,
  entry: CatalogEntry,
  jobId: string,
  o: {
    status: 'installed' | 'unchanged' | 'failed';
    exitCode: number | null;
    values: Record<string, string>;
  },
) {
  const now = nowIso(ctx);
  const m = entry.manifest;
  await ctx.store.db
    .insertInto('catalog_host_installs')
    .values({
      server_id: server.id,
      entry_id: m.id,
      version: m.version,
      status: o.status,
      exit_code: o.exitCode,
      job_id: jobId,
      values_json: JSON.stringify(o.values),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['server_id', 'entry_id']).doUpdateSet({
        version: m.version,
        status: o.status,
        exit_code: o.exitCode,
        job_id: jobId,
        values_json: JSON.stringify(o.values),
        updated_at: now,
      }),
    )
    .execute();
}

export async function prepareHostInstall(
  ctx: Ctx,
  entry: CatalogEntry,
  t: InstallTarget,
): Promise<JobPlan<CatalogInstallResult>> {
  const m = entry.manifest;
  if (t.domain) throw new InfraktError('VALIDATION', `${m.id} runs on the server itself: it takes no --domain`);
  const resolved = resolveOrThrow(m, t.values);
  const server = await getServerRow(ctx, t.server);
  const rendered = renderEntry(m, resolved.values, { app: t.name ?? m.id, server: server.name });
  const checkScript = m.check_script ?? 'check.sh';
  const hasCheck = Boolean(entry.scripts?.[checkScript]);
  const installScript = m.install_script ?? 'install.sh';
  const shown = publicValues(m, resolved.values);
  return {
    spec: {
      kind: 'catalog.host-install',
      target: `${server.name}/${m.id}`,
      serverId: server.id,
      params: { entry: m.id, version: m.version, values: shown },
      locks: [`host-install:${server.id}:${m.id}`],
      plannedSteps: [
        'connect',
        'check system',
        'upload installer',
        ...(hasCheck ? ['check.sh'] : []),
        'install',
        ...(hasCheck ? ['verify'] : []),
        'clean up',
      ],
    },
    body: async (job) => {
      const secrets = secretValues(m, resolved.values);
      job.addSecrets(...secrets);
      const ex = await job.step('connect', async (s) => {
        const e = await ctx.connect(server, { signal: job.signal });
        s.detail(e.target);
        return e;
      });
      const l = installerLayout(server.root_dir, m.id);
      let asRoot = false;
      let lastCode: number | null = null;
      try {
        await job.step('check system', async (s) => {
          const facts = parseHostFacts((await runChecked(ex, os.detect(), { what: 'detect the system' })).stdout);
          const why = osMismatch(m, facts.os);
          if (why) throw new InfraktError('UNSUPPORTED', `${m.name} is not supported here: ${why}`);
          asRoot = facts.uid !== 0;
          if (asRoot && (await ex.run(sudo(exec('true')))).exitCode !== 0)
            throw new InfraktError('STATE', `${m.name} installs as root: ${server.user} needs passwordless sudo`);
          s.detail(`${facts.os.pretty}${asRoot ? ' (through sudo)' : ''}`);
        });
        await job.step('upload installer', async (s) => {
          await runChecked(ex, asRoot ? sudo(prepareDir(l)) : prepareDir(l), { what: 'create the installer dir' });
          for (const [name, text] of Object.entries(entry.scripts ?? {}))
            await ex.put(l.script(name), text, { mode: 0o700, sudo: asRoot });
          s.detail(`${Object.keys(entry.scripts ?? {}).join(', ')} → ${l.dir}`);
        });
        const run: RunCtx = {
          ex,
          job,
          entry,
          root: server.root_dir,
          asRoot,
          env: renderInstallerEnv(rendered.env),
          secrets,
        };
        if (hasCheck) {
          const inPlace = await job.step('check.sh', async (s) => {
            const code = await runOnce(run, checkScript, s);
            s.detail(code === 0 ? 'already in place' : `exit ${code}: changes needed`);
            return code === 0;
          });
          if (inPlace) {
            job.skip('install', 'check.sh: already in place');
            job.skip('verify', 'nothing was installed');
            await recordRun(ctx, server, entry, job.id, { status: 'unchanged', exitCode: 0, values: shown });
            return result(m.id, m.version, server.name, 'unchanged', 0, rendered.outputs, resolved);
          }
        }
        const attemptsAllowed = m.retries.max + 1;
        let attempt = 0;
        for (;;) {
          attempt++;
          const stepName = attempt === 1 ? 'install' : `install (attempt ${attempt})`;
          try {
            lastCode = await job.step(stepName, async (s) => {
              const c = await runOnce(run, installScript, s);
              s.exitCode(c);
              s.detail(`exit ${c}: ${exitMeaning(c)}`);
              // A failed attempt is a failed step, retried or not.
              if (c !== EXIT_OK) throw installerFailed(m.id, c, attempt);
              return c;
            });
            break;
          } catch (e) {
            const code = isInfraktError(e) ? e.details?.exitCode : undefined;
            if (typeof code !== 'number' || !retryable(code) || attempt >= attemptsAllowed || job.signal.aborted)
              throw e;
            lastCode = code;
          }
          const delay = retryDelaySeconds(m.retries.backoff_seconds, attempt);
          job.log(
            `installer exited 2 (install error): retrying in ${delay} s (attempt ${attempt + 1} of ${attemptsAllowed})`,
          );
          await wait(delay * 1000, job.signal);
        }
        if (hasCheck) {
          await job.step('verify', async (s) => {
            const code = await runOnce(run, checkScript, s);
            if (code !== 0)
              throw new InfraktError('STATE', `the installer succeeded but check.sh still fails (exit ${code})`, {
                details: { exitCode: code },
                hint: 'the entry is inconsistent: report it to its author',
              });
            s.detail('check.sh passes');
          });
        }
        await recordRun(ctx, server, entry, job.id, { status: 'installed', exitCode: 0, values: shown });
        await audit(ctx, 'catalog.host-install', `${server.name}/${m.id}`, { version: m.version, attempts: attempt });
        return result(m.id, m.version, server.name, 'installed', attempt, rendered.outputs, resolved);
      } catch (e) {
        const code = isInfraktError(e) && typeof e.details?.exitCode === 'number' ? e.details.exitCode : lastCode;
        await recordRun(ctx, server, entry, job.id, { status: 'failed', exitCode: code, values: shown }).catch(
          () => undefined,
        );
        throw e;
      } finally {
        // Nothing of the run stays on the server (the env file is gone already; this takes the scripts).
        const clean = asRoot ? sudo(fs.rmrf(l.dir)) : fs.rmrf(l.dir);
        if (job.signal.aborted) await ex.run(clean).catch(() => undefined);
        else
          await job
            .step('clean up', async (s) => {
              await runChecked(ex, clean, { what: 'remove the installer dir' });
              s.detail(`${l.dir} removed`);
            })
            .catch(() => undefined);
        await ex.close();
      }
    },
  };
}

function result(
  entry: string,
  version: string,
  server: string,
  outcome: 'installed' | 'unchanged',
  attempts: number,
  outputs: readonly { label: string; value: string; secret: boolean }[],
  resolved: { generated: readonly string[]; ignored: readonly string[] },
): CatalogInstallResult {
  return {
    kind: 'host',
    entry,
    version,
    server,
    outcome,
    attempts,
    outputs: outputsOf(outputs),
    generated: resolved.generated,
    ignored: resolved.ignored,
  };
}
