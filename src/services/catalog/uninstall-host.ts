// Removing a host entry from a server: its uninstall.sh (the entry's own way to undo the install, under the
// same contract as install.sh: env file as data, clean env, time limit, exit 0 = done) with the values the
// install had, then the record goes. An entry without an uninstall script cannot be removed: refused up front.
import { exitMeaning, renderInstallerEnv } from '../../core/catalog/host-installer.js';
import { renderEntry } from '../../core/catalog/render.js';
import { InfraktError } from '../../core/errors.js';
import { getServerRow } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { type CatalogOptions, findEntry, openCatalog } from './catalog-index.js';
import { findHostInstall, hostInstallValues } from './host-records.js';
import { checkSystem, hostScripts, removeScripts, runOnce, uploadScripts } from './host-run.js';
import { secretValues } from './values.js';

export interface HostUninstallResult {
  readonly entry: string;
  readonly version: string;
  readonly server: string;
}

export async function prepareHostUninstall(
  ctx: Ctx,
  serverName: string,
  entryId: string,
  opts: CatalogOptions = {},
): Promise<JobPlan<HostUninstallResult>> {
  const server = await getServerRow(ctx, serverName);
  const row = await findHostInstall(ctx, server.id, entryId);
  if (!row) throw new InfraktError('NOT_FOUND', `host entry ${entryId} was not run on ${server.name}`);
  const entry = findEntry(openCatalog(opts), entryId, row.version);
  const m = entry.manifest;
  const script = hostScripts(entry).uninstall;
  if (!script)
    throw new InfraktError('UNSUPPORTED', `${m.id} ${m.version} has no uninstall script: infrakt cannot remove it`, {
      hint: 'undo it on the server by hand, or keep it declared',
    });
  const values = hostInstallValues(ctx, row);
  const rendered = renderEntry(m, values, { app: m.id, server: server.name });
  return {
    spec: {
      kind: 'catalog.host-uninstall',
      target: `${server.name}/${m.id}`,
      serverId: server.id,
      params: { entry: m.id, version: m.version },
      locks: [`host-install:${server.id}:${m.id}`],
      plannedSteps: ['connect', 'check system', 'upload installer', 'uninstall', 'clean up'],
    },
    body: async (job) => {
      const secrets = secretValues(m, values);
      job.addSecrets(...secrets);
      const ex = await job.step('connect', async (s) => {
        const e = await ctx.connect(server, { signal: job.signal });
        s.detail(e.target);
        return e;
      });
      let asRoot = false;
      try {
        await job.step('check system', async (s) => {
          const sys = await checkSystem(ex, m, server.user);
          asRoot = sys.asRoot;
          s.detail(sys.detail);
        });
        await job.step('upload installer', async (s) => {
          s.detail(await uploadScripts(ex, entry, server.root_dir, asRoot));
        });
        const run = {
          ex,
          signal: job.signal,
          entry,
          root: server.root_dir,
          asRoot,
          env: renderInstallerEnv(rendered.env),
          secrets,
        };
        await job.step('uninstall', async (s) => {
          const code = await runOnce(run, script, (line, stream) => s.log(line, stream));
          s.exitCode(code);
          s.detail(`exit ${code}: ${exitMeaning(code)}`);
          if (code !== 0)
            throw new InfraktError('COMMAND_FAILED', `${script} of ${m.id} exited ${code}: ${exitMeaning(code)}`, {
              details: { exitCode: code },
              hint: 'see its output in the job log; the install stays recorded',
            });
        });
        await ctx.store.db.deleteFrom('catalog_host_installs').where('id', '=', row.id).execute();
        await audit(ctx, 'catalog.host-uninstall', `${server.name}/${m.id}`, { version: m.version });
        return { entry: m.id, version: m.version, server: server.name };
      } finally {
        await job
          .step('clean up', async (s) => {
            await removeScripts(ex, entry, server.root_dir, asRoot);
            s.detail('installer dir removed');
          })
          .catch(() => undefined);
        await ex.close();
      }
    },
  };
}
