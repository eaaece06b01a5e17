import { useQuery } from '@tanstack/react-query';
import { AlertTriangle, Boxes, Database, Server } from 'lucide-react';
import { Link } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import type { CountByStatus } from '../api/types.js';
import { Empty, QueryState } from '../components/states.js';
import { Card, PageHeader, StatusBadge, Table, tdClass } from '../components/ui.js';
import { formatAgo } from '../lib/format.js';

function StatCard({
  label,
  to,
  Icon,
  value,
}: {
  label: string;
  to: string;
  Icon: typeof Server;
  value: CountByStatus;
}) {
  const statuses = Object.entries(value.byStatus).filter(([, n]) => n > 0);
  return (
    <Link
      to={to}
      className="block rounded-lg border border-zinc-200 bg-white p-4 shadow-xs hover:border-indigo-300 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-zinc-800 dark:bg-zinc-900 dark:hover:border-indigo-700"
    >
      <div className="flex items-center justify-between text-sm text-zinc-500 dark:text-zinc-400">
        {label}
        <Icon aria-hidden className="size-4" />
      </div>
      <p className="mt-1 text-3xl font-semibold tabular-nums" data-stat={label.toLowerCase()}>
        {value.total}
      </p>
      <div className="mt-2 flex flex-wrap gap-1">
        {statuses.map(([s, n]) => (
          <span key={s} className="inline-flex items-center gap-1 text-xs">
            <StatusBadge status={s} />
            <span className="tabular-nums text-zinc-500 dark:text-zinc-400">{n}</span>
          </span>
        ))}
      </div>
    </Link>
  );
}

export default function DashboardPage() {
  const q = useQuery({
    queryKey: ['dashboard'],
    queryFn: ({ signal }) => endpoints.dashboard(signal),
    refetchInterval: 10_000,
  });
  return (
    <>
      <PageHeader title="Dashboard" subtitle="Everything infrakt manages, at a glance" />
      <QueryState query={q}>
        {(d) => {
          const failing = d.failing;
          const recent = d.recentDeployments;
          return (
            <div className="space-y-5">
              <div className="grid gap-3 sm:grid-cols-3">
                <StatCard label="Servers" to="/servers" Icon={Server} value={d.servers} />
                <StatCard label="Apps" to="/apps" Icon={Boxes} value={d.apps} />
                <StatCard label="Databases" to="/databases" Icon={Database} value={d.databases} />
              </div>
              <p className="flex flex-wrap gap-x-4 gap-y-1 text-sm text-zinc-600 dark:text-zinc-400">
                <Link to="/jobs" className="hover:underline">
                  <span className="font-medium tabular-nums">{d.jobs.running}</span> job(s) running
                </Link>
                <span>
                  <span className="font-medium tabular-nums">{d.jobs.queued}</span> queued
                </span>
                <span className={d.jobs.failedLast24h ? 'text-red-600 dark:text-red-400' : ''}>
                  <span className="font-medium tabular-nums">{d.jobs.failedLast24h}</span> failed in the last 24 h
                </span>
              </p>
              <Card
                title={
                  <span className="flex items-center gap-1.5">
                    <AlertTriangle
                      aria-hidden
                      className={`size-4 ${failing.length ? 'text-red-500' : 'text-zinc-500 dark:text-zinc-400'}`}
                    />
                    Needs attention
                  </span>
                }
              >
                {failing.length === 0 ? (
                  <p className="text-sm text-zinc-500 dark:text-zinc-400">Nothing is failing.</p>
                ) : (
                  <ul className="divide-y divide-zinc-200 dark:divide-zinc-800">
                    {failing.map((f) => (
                      <li key={`${f.kind}:${f.name}`} className="flex flex-wrap items-center gap-2 py-2 text-sm">
                        <StatusBadge status={f.status} />
                        <span className="text-zinc-500 dark:text-zinc-400">{f.kind}</span>
                        <Link
                          className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
                          to={
                            f.kind === 'server'
                              ? `/servers/${f.name}`
                              : f.kind === 'job' && f.jobId
                                ? `/jobs/${f.jobId}`
                                : f.kind === 'database'
                                  ? '/databases'
                                  : `/apps/${f.name}`
                          }
                        >
                          {f.name}
                        </Link>
                        {f.message ? (
                          <span className="min-w-0 break-words text-zinc-500 dark:text-zinc-400">{f.message}</span>
                        ) : null}
                      </li>
                    ))}
                  </ul>
                )}
              </Card>
              <Card title="Recent deployments">
                {recent.length === 0 ? (
                  <Empty title="No deployments yet">
                    <Link to="/apps" className="text-indigo-600 hover:underline dark:text-indigo-400">
                      Create and deploy an app
                    </Link>
                  </Empty>
                ) : (
                  <Table head={['App', 'Release', 'Action', 'Status', 'When']} label="Recent deployments">
                    {recent.map((r) => (
                      <tr key={r.id}>
                        <td className={tdClass}>
                          {r.app ? (
                            <Link
                              to={`/apps/${r.app}`}
                              className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
                            >
                              {r.app}
                            </Link>
                          ) : (
                            '—'
                          )}
                          {r.server ? (
                            <span className="ml-1 text-xs text-zinc-500 dark:text-zinc-400">on {r.server}</span>
                          ) : null}
                        </td>
                        <td className={`${tdClass} tabular-nums`}>#{r.release}</td>
                        <td className={tdClass}>{r.action}</td>
                        <td className={tdClass}>
                          <StatusBadge status={r.status} />
                        </td>
                        <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>
                          {r.jobId ? (
                            <Link to={`/jobs/${r.jobId}`} className="hover:underline">
                              {formatAgo(r.startedAt)}
                            </Link>
                          ) : (
                            formatAgo(r.startedAt)
                          )}
                        </td>
                      </tr>
                    ))}
                  </Table>
                )}
              </Card>
            </div>
          );
        }}
      </QueryState>
    </>
  );
}
