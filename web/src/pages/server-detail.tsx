import { useQuery } from '@tanstack/react-query';
import { ArrowLeft } from 'lucide-react';
import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import { EdgeBadge } from '../components/edge-badge.js';
import { ServerAcme } from '../components/server-acme.js';
import { ServerHistory } from '../components/server-history.js';
import { ServerRegistries } from '../components/server-registries.js';
import { Sparkline } from '../components/sparkline.js';
import { Empty, ErrorState, Loading, QueryState } from '../components/states.js';
import { TrustHostKey } from '../components/trust-host-key.js';
import { Card, PageHeader, StatusBadge, Table, tdClass } from '../components/ui.js';
import { formatAgo, formatBytes } from '../lib/format.js';
import { type MetricPoint, mainDisk, pushPoint, toPoint } from '../lib/metrics.js';
import { ServerActions } from './servers.js';

const METRICS_EVERY_MS = 5_000;
// xterm.js is large: it loads with the first terminal shown.
const WebTerminal = lazy(() => import('../components/web-terminal.js'));

/** Live status polled while this page is open (and the tab visible): each poll is one SSH round trip. */
function useServerStatus(name: string) {
  const [series, setSeries] = useState<MetricPoint[]>([]);
  const q = useQuery({
    queryKey: ['server', name, 'status'],
    queryFn: ({ signal }) => endpoints.serverStatus(name, signal),
    refetchInterval: METRICS_EVERY_MS,
    refetchIntervalInBackground: false,
    staleTime: 0,
    gcTime: 0,
  });
  useEffect(() => {
    if (q.data) setSeries((s) => pushPoint(s, toPoint(q.data, q.dataUpdatedAt)));
  }, [q.data, q.dataUpdatedAt]);
  return { q, series };
}

function Metrics({ status }: { status: ReturnType<typeof useServerStatus> }) {
  const { q, series } = status;
  if (q.isPending && series.length === 0) return <Loading label="Collecting metrics…" />;
  if (q.error && series.length === 0) return <ErrorState error={q.error} onRetry={() => q.refetch()} />;
  const vals = (k: keyof Omit<MetricPoint, 't'>) => series.map((p) => p[k]).filter((v): v is number => v !== null);
  const s = q.data;
  const mem = s?.memory;
  const disk = s ? mainDisk(s) : null;
  return (
    <div>
      <div className="grid gap-4 sm:grid-cols-3">
        <Sparkline label={`CPU load (1 min${s?.cpus ? `, ${s.cpus} CPUs` : ''})`} values={vals('load')} />
        <Sparkline label="Memory used" values={vals('memPct')} max={100} format={(n) => `${n.toFixed(0)}%`} />
        <Sparkline
          label={`Disk used (${disk?.mount ?? '/'})`}
          values={vals('diskPct')}
          max={100}
          format={(n) => `${n.toFixed(0)}%`}
        />
      </div>
      <p className="mt-2 text-xs text-zinc-500 dark:text-zinc-400">
        {s?.hostname ? `${s.hostname} · ` : ''}
        {s?.kernel ? `${s.kernel} · ` : ''}
        {mem ? `${formatBytes(mem.usedBytes)} of ${formatBytes(mem.totalBytes)} RAM · ` : ''}
        {disk ? `${formatBytes(disk.availableBytes)} free on ${disk.mount} · ` : ''}
        refreshed every {METRICS_EVERY_MS / 1000}s while this page is open
        {q.error ? ' · last refresh failed' : ''}
      </p>
    </div>
  );
}

export default function ServerDetailPage() {
  const { name = '' } = useParams();
  const navigate = useNavigate();
  const server = useQuery({ queryKey: ['server', name], queryFn: ({ signal }) => endpoints.server(name, signal) });
  const apps = useQuery({
    queryKey: ['apps'],
    queryFn: ({ signal }) => endpoints.apps(signal),
    select: (list) => list.filter((a) => a.server === name),
  });
  const status = useServerStatus(name);
  const routes = useQuery({
    queryKey: ['server', name, 'routes'],
    queryFn: ({ signal }) => endpoints.proxyRoutes(name, signal),
  });

  return (
    <>
      <Link
        to="/servers"
        className="mb-2 inline-flex items-center gap-1 text-sm text-zinc-500 dark:text-zinc-400 hover:text-zinc-800 dark:hover:text-zinc-200"
      >
        <ArrowLeft aria-hidden className="size-4" /> Servers
      </Link>
      <QueryState query={server}>
        {(s) => (
          <>
            <PageHeader
              title={
                <span className="flex items-center gap-2">
                  {s.name} <StatusBadge status={s.status} />
                  <EdgeBadge edge={s.edge} />
                </span>
              }
              subtitle={
                <span className="font-mono text-xs">
                  {s.user}@{s.host}:{s.port} · root {s.root} · checked {formatAgo(s.lastCheckedAt)}
                </span>
              }
              actions={<ServerActions server={s} onRemoved={() => navigate('/servers')} />}
            />
            {s.hostKeyFingerprint ? (
              <p className="-mt-3 mb-4 text-xs text-zinc-500 dark:text-zinc-400">
                Host key <code className="break-all">{s.hostKeyFingerprint}</code>
              </p>
            ) : null}
            {s.lastError ? (
              <div className="mb-4">
                <ErrorState error={new Error(s.lastError)} />
              </div>
            ) : null}
            {s.status === 'host_key_mismatch' ? (
              <div className="mb-4">
                <TrustHostKey server={s.name} />
              </div>
            ) : null}
            <div className="space-y-5">
              <Card title="Metrics">
                <Metrics status={status} />
              </Card>
              <Card title="History (sampled by infrakt serve)">
                <ServerHistory server={name} />
              </Card>
              <div className="grid gap-5 lg:grid-cols-2">
                <Card title="Apps">
                  <QueryState query={apps} empty={<Empty title="No apps on this server" />}>
                    {(list) => (
                      <ul className="divide-y divide-zinc-200 dark:divide-zinc-800">
                        {list.map((a) => (
                          <li key={a.id} className="flex items-center justify-between gap-2 py-2 text-sm">
                            <Link
                              to={`/apps/${a.name}`}
                              className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
                            >
                              {a.name}
                            </Link>
                            <span className="truncate text-xs text-zinc-500 dark:text-zinc-400">
                              {a.domain ?? a.image ?? a.git ?? a.type}
                            </span>
                            <StatusBadge status={a.status} />
                          </li>
                        ))}
                      </ul>
                    )}
                  </QueryState>
                </Card>
                <Card title="Proxy routes">
                  <QueryState query={routes} empty={<Empty title="No proxy routes" />}>
                    {(list) => (
                      <ul className="divide-y divide-zinc-200 dark:divide-zinc-800">
                        {list.map((r) => (
                          <li key={r.domain} className="flex items-center justify-between gap-2 py-2 text-sm">
                            <span className="font-mono text-xs break-all">{r.domain}</span>
                            <span className="text-xs text-zinc-500 dark:text-zinc-400">
                              → {r.app ? `${r.app} ` : ''}127.0.0.1:{r.upstreamPort}
                            </span>
                          </li>
                        ))}
                      </ul>
                    )}
                  </QueryState>
                </Card>
              </div>
              <ServerRegistries server={name} />
              <ServerAcme server={s} />
              <Card title="Containers">
                <QueryState
                  query={status.q}
                  empty={<Empty title="No containers running" />}
                  isEmpty={(st) => !st.containers?.length}
                >
                  {(st) => (
                    <Table head={['Name', 'Image', 'State', 'Ports']} label="Containers">
                      {(st.containers ?? []).map((c) => (
                        <tr key={c.id}>
                          <td className={`${tdClass} font-mono text-xs`}>{c.name}</td>
                          <td className={`${tdClass} font-mono text-xs`}>{c.image}</td>
                          <td className={tdClass}>
                            <StatusBadge status={c.state} />
                            {c.status && c.state ? (
                              <span className="ml-1 text-xs text-zinc-500 dark:text-zinc-400">{c.status}</span>
                            ) : null}
                          </td>
                          <td className={`${tdClass} font-mono text-xs`}>{c.ports || '—'}</td>
                        </tr>
                      ))}
                    </Table>
                  )}
                </QueryState>
              </Card>
              <Card title="Terminal">
                <Suspense fallback={<Loading label="Loading the terminal…" />}>
                  <WebTerminal
                    label={`the server ${name}`}
                    requestTicket={(size) => endpoints.serverTerminal(name, size)}
                  />
                </Suspense>
              </Card>
            </div>
          </>
        )}
      </QueryState>
    </>
  );
}
