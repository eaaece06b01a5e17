import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Plus } from 'lucide-react';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import type { AppView } from '../api/types.js';
import { CreateAppDialog } from '../components/app-create-dialog.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { useJobLauncher } from '../components/job-dialog.js';
import { Empty, QueryState } from '../components/states.js';
import { Button, Card, PageHeader, StatusBadge, Table, tdClass } from '../components/ui.js';

export function AppActions({ app, onDestroyed }: { app: AppView; onDestroyed?: () => void }) {
  const jobs = useJobLauncher();
  const qc = useQueryClient();
  const [destroying, setDestroying] = useState(false);
  const deploy = `Deploy ${app.name}`;
  const stop = `Stop ${app.name}`;
  const restart = `Restart ${app.name}`;
  return (
    <div className="flex flex-wrap gap-1.5">
      <Button
        variant="primary"
        onClick={() => jobs.launch(deploy, () => endpoints.deployApp(app.name))}
        busy={jobs.busy === deploy}
      >
        Deploy
      </Button>
      <Button
        onClick={() => jobs.launch(stop, () => endpoints.stopApp(app.name))}
        busy={jobs.busy === stop}
        disabled={app.status === 'stopped' || app.status === 'created'}
      >
        Stop
      </Button>
      <Button
        onClick={() => jobs.launch(restart, () => endpoints.restartApp(app.name))}
        busy={jobs.busy === restart}
        disabled={app.currentRelease === null}
      >
        Restart
      </Button>
      <Button variant="ghost" className="text-red-600 dark:text-red-400" onClick={() => setDestroying(true)}>
        Destroy
      </Button>
      {jobs.dialog}
      <ConfirmDialog
        open={destroying}
        onClose={() => setDestroying(false)}
        onConfirm={() => {
          setDestroying(false);
          // Leave the page only once the job succeeded: its live view is shown until then.
          jobs.launch(`Destroy ${app.name}`, () => endpoints.destroyApp(app.name), {
            onSucceeded: () => {
              qc.invalidateQueries({ queryKey: ['apps'] });
              onDestroyed?.();
            },
          });
        }}
        title={`Destroy app ${app.name}`}
        name={app.name}
        action="Destroy app"
      >
        Stops and removes the app's containers, its proxy route and its env vars on <strong>{app.server}</strong>.
      </ConfirmDialog>
    </div>
  );
}

export default function AppsPage() {
  const [creating, setCreating] = useState(false);
  const navigate = useNavigate();
  const q = useQuery({ queryKey: ['apps'], queryFn: ({ signal }) => endpoints.apps(signal), refetchInterval: 15_000 });
  return (
    <>
      <PageHeader
        title="Apps"
        subtitle="Compose projects behind Caddy"
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            <Plus aria-hidden className="size-4" /> Create app
          </Button>
        }
      />
      <Card>
        <QueryState
          query={q}
          empty={
            <Empty title="No apps yet">
              <p>Create an app from an image, a git repository or a compose file.</p>
            </Empty>
          }
        >
          {(apps) => (
            <Table head={['Name', 'Server', 'Source', 'Domain', 'Status', 'Release', 'Actions']} label="Apps">
              {apps.map((a) => (
                <tr key={a.id} data-app={a.name}>
                  <td className={tdClass}>
                    <Link
                      to={`/apps/${a.name}`}
                      className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
                    >
                      {a.name}
                    </Link>
                  </td>
                  <td className={tdClass}>
                    <Link to={`/servers/${a.server}`} className="hover:underline">
                      {a.server}
                    </Link>
                  </td>
                  <td className={`${tdClass} max-w-52 truncate font-mono text-xs`} title={a.image ?? a.git ?? a.type}>
                    {a.image ?? (a.git ? `${a.git}#${a.branch ?? ''}` : a.type)}
                  </td>
                  <td className={`${tdClass} font-mono text-xs`}>{a.domain ?? '—'}</td>
                  <td className={tdClass}>
                    <StatusBadge status={a.status} />
                  </td>
                  <td className={`${tdClass} tabular-nums`}>{a.currentRelease ? `#${a.currentRelease}` : '—'}</td>
                  <td className={tdClass}>
                    <AppActions app={a} />
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </QueryState>
      </Card>
      <CreateAppDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(name) => navigate(`/apps/${name}`)}
      />
    </>
  );
}
