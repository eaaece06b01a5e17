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
  renderInstallerEnv,
  retryable,
  retryDelaySeconds,
} from '../../core/catalog/host-installer.js';
import { renderEntry } from '../../core/catalog/render.js';
import { sudo } from '../../core/cmd/index.js';
import * as fs from '../../core/commands/fs.js';
import { type ErrorCode, InfraktError, isInfraktError } from '../../core/errors.js';
import { getServerRow } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { checkSystem, hostScripts, type RunCtx, removeScripts, runOnce, uploadScripts } from './host-run.js';
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

async function recordRun(
  ctx: Ctx,
  server: ServerRow,
  entry: CatalogEntry,
  jobId: string,
  o: {
    status: 'installed' | 'unchanged' | 'failed';
    exitCode: number | null;
    values: Record<string, string>;
    /** Every value of the run (secret ones too): sealed before it is stored. */
    all: Readonly<Record<string, string>>;
  },
) {
  const sealed = ctx.cipher.seal(hostValuesPurpose(server.id, entry.manifest.id), JSON.stringify(o.all));
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
      values_sealed: sealed,
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
        values_sealed: sealed,
        updated_at: now,
      }),
    )
    .execute();
}

/** What a host install's sealed values are bound to: opened for another server or entry, they fail. */
export const hostValuesPurpose = (serverId: number, entryId: string) => `catalog-host:${serverId}:${entryId}`;

export interface HostInstallOptions {
  /** Run install.sh even when check.sh says it is in place (infrakt.yaml: inputs or version changed). */
  readonly reinstall?: boolean;
  /** Values of the previous run: inputs not given keep them (generated secrets are not generated again). */
  readonly previous?: Readonly<Record<string, string>>;
}

export async function prepareHostInstall(
  ctx: Ctx,
  entry: CatalogEntry,
  t: InstallTarget,
  opts: HostInstallOptions = {},
): Promise<JobPlan<CatalogInstallResult>> {
  const m = entry.manifest;
  if (t.domain) throw new InfraktError('VALIDATION', `${m.id} runs on the server itself: it takes no --domain`);
  const resolved = resolveOrThrow(m, t.values, opts.previous);
  const server = await getServerRow(ctx, t.server);
  const rendered = renderEntry(m, resolved.values, { app: t.name ?? m.id, server: server.name });
  const scripts = hostScripts(entry);
  const checkScript = scripts.check ?? 'check.sh';
  const hasCheck = scripts.check !== null;
  const installScript = scripts.install;
  const shown = publicValues(m, resolved.values);
  const all = resolved.values;
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
          const sys = await checkSystem(ex, m, server.user);
          asRoot = sys.asRoot;
          s.detail(sys.detail);
        });
        await job.step('upload installer', async (s) => {
          s.detail(await uploadScripts(ex, entry, server.root_dir, asRoot));
        });
        const run: RunCtx = {
          ex,
          signal: job.signal,
          entry,
          root: server.root_dir,
          asRoot,
          env: renderInstallerEnv(rendered.env),
          secrets,
        };
        if (hasCheck && opts.reinstall) job.skip('check.sh', 'reinstall: the installer runs with the new inputs');
        else if (hasCheck) {
          const inPlace = await job.step('check.sh', async (s) => {
            const code = await runOnce(run, checkScript, (line, stream) => s.log(line, stream));
            s.detail(code === 0 ? 'already in place' : `exit ${code}: changes needed`);
            return code === 0;
          });
          if (inPlace) {
            job.skip('install', 'check.sh: already in place');
            job.skip('verify', 'nothing was installed');
            await recordRun(ctx, server, entry, job.id, { status: 'unchanged', exitCode: 0, values: shown, all });
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
              const c = await runOnce(run, installScript, (line, stream) => s.log(line, stream));
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
            const code = await runOnce(run, checkScript, (line, stream) => s.log(line, stream));
            if (code !== 0)
              throw new InfraktError('STATE', `the installer succeeded but check.sh still fails (exit ${code})`, {
                details: { exitCode: code },
                hint: 'the entry is inconsistent: report it to its author',
              });
            s.detail('check.sh passes');
          });
        }
        await recordRun(ctx, server, entry, job.id, { status: 'installed', exitCode: 0, values: shown, all });
        await audit(ctx, 'catalog.host-install', `${server.name}/${m.id}`, { version: m.version, attempts: attempt });
        return result(m.id, m.version, server.name, 'installed', attempt, rendered.outputs, resolved);
      } catch (e) {
        const code = isInfraktError(e) && typeof e.details?.exitCode === 'number' ? e.details.exitCode : lastCode;
        await recordRun(ctx, server, entry, job.id, { status: 'failed', exitCode: code, values: shown, all }).catch(
          () => undefined,
        );
        throw e;
      } finally {
        // Nothing of the run stays on the server (the env file is gone already; this takes the scripts).
        if (job.signal.aborted) await ex.run(asRoot ? sudo(fs.rmrf(l.dir)) : fs.rmrf(l.dir)).catch(() => undefined);
        else
          await job
            .step('clean up', async (s) => {
              await removeScripts(ex, entry, server.root_dir, asRoot);
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
