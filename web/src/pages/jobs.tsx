import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import { Empty, QueryState } from '../components/states.js';
import { Card, PageHeader, StatusBadge, Table, tdClass } from '../components/ui.js';
import { formatAgo, formatDuration } from '../lib/format.js';
import { isTerminal } from '../lib/job-state.js';

export default function JobsPage() {
  const q = useQuery({
    queryKey: ['jobs'],
    queryFn: ({ signal }) => endpoints.jobs(signal),
    // Faster while something runs, so the list keeps up with the work.
    refetchInterval: (query) => (query.state.data?.some((j) => !isTerminal(j.status)) ? 2_000 : 10_000),
  });
  return (
    <>
      <PageHeader title="Jobs" subtitle="Every change infrakt makes runs as a recorded job" />
      <Card>
        <QueryState query={q} empty={<Empty title="No jobs yet" />}>
          {(jobs) => (
            <Table head={['Job', 'Target', 'Status', 'Steps', 'Started', 'Took', 'By']} label="Jobs">
              {jobs.map((j) => {
                const done = j.steps.filter((s) => s.status !== 'pending' && s.status !== 'running').length;
                return (
                  <tr key={j.id} data-job={j.id}>
                    <td className={tdClass}>
                      <Link
                        to={`/jobs/${j.id}`}
                        className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
                      >
                        {j.kind}
                      </Link>
                      <span className="ml-1 font-mono text-xs text-zinc-500 dark:text-zinc-400">
                        {j.id.slice(0, 8)}
                      </span>
                    </td>
                    <td className={tdClass}>{j.target}</td>
                    <td className={tdClass}>
                      <StatusBadge status={j.status} />
                    </td>
                    <td className={`${tdClass} tabular-nums text-zinc-500 dark:text-zinc-400`}>
                      {j.steps.length ? `${done}/${j.steps.length}` : '—'}
                    </td>
                    <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>{formatAgo(j.createdAt)}</td>
                    <td className={`${tdClass} tabular-nums text-zinc-500 dark:text-zinc-400`}>
                      {j.startedAt ? formatDuration(j.startedAt, j.finishedAt) : '—'}
                    </td>
                    <td className={`${tdClass} max-w-40 truncate text-xs text-zinc-500 dark:text-zinc-400`}>
                      {j.actor}
                    </td>
                  </tr>
                );
              })}
            </Table>
          )}
        </QueryState>
      </Card>
    </>
  );
}
