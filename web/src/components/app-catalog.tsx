import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowUpCircle } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AppView } from '../api/types.js';
import { CatalogAppOutputs } from './catalog-app-outputs.js';
import { Dialog } from './dialog.js';
import { useJobLauncher } from './job-dialog.js';
import { Button } from './ui.js';

/**
 * The catalog entry and version an app runs, with an Upgrade action when the catalog has a newer version. The
 * upgrade is the API's health-gated one: a failure rolls back and the installed version keeps serving.
 */
export function AppCatalog({ app }: { app: AppView }) {
  const qc = useQueryClient();
  const jobs = useJobLauncher();
  const [asking, setAsking] = useState(false);
  const q = useQuery({
    queryKey: ['app-catalog', app.name],
    queryFn: ({ signal }) => endpoints.appCatalog(app.name, signal),
  });
  const cat = q.data?.catalog;
  if (!cat) return null;
  const title = `Upgrade ${app.name} to ${cat.newest}`;
  const upgrade = () => {
    setAsking(false);
    jobs.launch(title, () => endpoints.upgradeCatalogApp(app.name, cat.newest!), {
      onSucceeded: () => {
        qc.invalidateQueries({ queryKey: ['app-catalog', app.name] });
        qc.invalidateQueries({ queryKey: ['app-catalog-outputs', app.name] });
        qc.invalidateQueries({ queryKey: ['app', app.name] });
      },
    });
  };
  return (
    <div data-catalog={cat.entry} className="sm:col-span-2 lg:col-span-4">
      <dt className="text-xs text-zinc-500 dark:text-zinc-400">Catalog</dt>
      <dd className="text-sm">
        <div className="flex flex-wrap items-center gap-2">
          <span data-catalog-version>
            {cat.name ?? cat.entry} {cat.version}
          </span>
          {cat.upgradeAvailable ? (
            <Button className="h-7 px-2 text-xs" onClick={() => setAsking(true)} busy={jobs.busy === title}>
              <ArrowUpCircle aria-hidden className="size-3.5" /> Upgrade to {cat.newest}
            </Button>
          ) : null}
        </div>
        <div className="mt-2">
          <CatalogAppOutputs app={app.name} />
        </div>
      </dd>
      <Dialog
        open={asking}
        onClose={() => setAsking(false)}
        title={title}
        footer={
          <>
            <Button onClick={() => setAsking(false)}>Cancel</Button>
            <Button variant="primary" onClick={upgrade} data-confirm-upgrade>
              Upgrade
            </Button>
          </>
        }
      >
        <p className="text-sm">
          {cat.entry} {cat.version} → {cat.newest}. The app's template and environment are re-rendered with its
          installed values and deployed behind its health check; if the new version does not become healthy,{' '}
          {cat.version} is put back and keeps serving.
        </p>
        {cat.upgradeNotes ? (
          <p className="mt-3 rounded bg-zinc-100 p-2 text-sm whitespace-pre-wrap dark:bg-zinc-800" data-upgrade-notes>
            {cat.upgradeNotes}
          </p>
        ) : null}
      </Dialog>
      {jobs.dialog}
    </div>
  );
}
