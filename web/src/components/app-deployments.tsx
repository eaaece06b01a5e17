import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AppView, DeploymentView } from '../api/types.js';
import { formatAgo, formatDuration } from '../lib/format.js';
import { useJobLauncher } from './job-dialog.js';
import { JobView } from './job-view.js';
import { Empty, QueryState } from './states.js';
import { Button, StatusBadge, Table, tdClass } from './ui.js';

/** Deployment history; a row opens that deployment's job (steps and per-step logs); rollback to a release. */
export function AppDeployments({ app }: { app: AppView }) {
  const q = useQuery({
    queryKey: ['app', app.name, 'deployments'],
    queryFn: ({ signal }) => endpoints.deployments(app.name, signal),
    refetchInterval: 10_000,
  });
  const [openJob, setOpenJob] = useState<string | null>(null);
  const jobs = useJobLauncher();

  // The API keeps only some releases runnable; it refuses (and says why) if this one is gone.
  const canRollbackTo = (d: DeploymentView) => d.status === 'succeeded' && !d.current;

  return (
    <div className="space-y-4">
      <QueryState query={q} empty={<Empty title="No deployments yet">Deploy the app to create release #1.</Empty>}>
        {(list) => (
          <Table head={['Release', 'Action', 'Status', 'Source', 'Started', 'Took', '']} label="Deployments">
            {list.map((d) => (
              <tr
                key={d.id}
                data-release={d.release}
                data-current={d.current ? 'true' : undefined}
                className={d.current ? 'bg-emerald-50/60 dark:bg-emerald-950/20' : ''}
              >
                <td className={`${tdClass} tabular-nums font-medium`}>
                  #{d.release}
                  {d.current ? (
                    <span className="ml-1 text-xs text-emerald-800 dark:text-emerald-300">current</span>
                  ) : null}
                </td>
                <td className={tdClass}>{d.action}</td>
                <td className={tdClass}>
                  <StatusBadge status={d.status} />
                  {d.error ? (
                    <p className="mt-0.5 max-w-xs truncate text-xs text-red-600" title={d.error}>
                      {d.error}
                    </p>
                  ) : null}
                  {d.logs ? (
                    <details className="mt-1 text-xs">
                      <summary className="cursor-pointer text-zinc-500 dark:text-zinc-400">Container output</summary>
                      <pre className="mt-1 max-h-48 max-w-md overflow-auto rounded bg-zinc-950 p-2 text-zinc-200">
                        {d.logs}
                      </pre>
                    </details>
                  ) : null}
                </td>
                <td className={`${tdClass} max-w-48 truncate font-mono text-xs`} title={d.source ?? ''}>
                  {d.sourceType}
                  {d.source ? ` ${d.source.replace(/^sha256:/, '').slice(0, 12)}` : ''}
                </td>
                <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>{formatAgo(d.startedAt)}</td>
                <td className={`${tdClass} text-zinc-500 dark:text-zinc-400 tabular-nums`}>
                  {formatDuration(d.startedAt, d.finishedAt)}
                </td>
                <td className={`${tdClass} text-right`}>
                  <div className="flex justify-end gap-1.5">
                    {d.jobId ? (
                      <Button
                        variant="ghost"
                        aria-expanded={openJob === d.jobId}
                        onClick={() => setOpenJob((j) => (j === d.jobId ? null : d.jobId))}
                      >
                        {openJob === d.jobId ? 'Hide steps' : 'Steps & logs'}
                      </Button>
                    ) : null}
                    {canRollbackTo(d) ? (
                      <Button
                        onClick={() =>
                          jobs.launch(`Roll back ${app.name} to #${d.release}`, () =>
                            endpoints.rollbackApp(app.name, d.release),
                          )
                        }
                        busy={jobs.busy === `Roll back ${app.name} to #${d.release}`}
                      >
                        Roll back here
                      </Button>
                    ) : null}
                  </div>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
      {openJob ? (
        <div className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
          <JobView id={openJob} />
        </div>
      ) : null}
      {jobs.dialog}
    </div>
  );
}
