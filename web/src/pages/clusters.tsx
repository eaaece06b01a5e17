import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import type { ClusterAppPsView, ClusterView } from '../api/types.js';
import { Empty, QueryState } from '../components/states.js';
import { Card, PageHeader, StatusBadge, Table, tdClass } from '../components/ui.js';

/** Running (healthy) replicas by node. */
function perNode(tasks: ClusterAppPsView['tasks']): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of tasks) {
    if (t.desiredState === 'Running' && t.currentState.startsWith('Running'))
      counts[t.node] = (counts[t.node] ?? 0) + 1;
  }
  return counts;
}

/** Replicas of one cluster app per node, as a manager reports them. */
function AppReplicas({ app }: { app: ClusterView['apps'][number] }) {
  const q = useQuery({
    queryKey: ['app-ps', app.name],
    queryFn: ({ signal }) => endpoints.appPs(app.name, signal),
    refetchInterval: 5_000,
  });
  return (
    <tr data-cluster-app={app.name}>
      <td className={tdClass}>
        <Link to={`/apps/${app.name}`} className="font-medium text-sky-700 hover:underline dark:text-sky-400">
          {app.name}
        </Link>
        {app.domain ? <div className="text-xs text-zinc-500">{app.domain}</div> : null}
      </td>
      <td className={tdClass} data-replicas>
        {q.data ? `${q.data.running}/${q.data.replicas ?? app.replicas}` : `–/${app.replicas}`}
      </td>
      <td className={tdClass} data-per-node>
        {q.error ? (
          <span className="text-xs text-zinc-500">not deployed</span>
        ) : q.data ? (
          Object.entries(perNode(q.data.tasks))
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([node, n]) => (
              <span
                key={node}
                className="mr-1.5 inline-block rounded bg-zinc-100 px-1.5 py-0.5 text-xs dark:bg-zinc-800"
              >
                {node}: {n}
              </span>
            ))
        ) : (
          '…'
        )}
      </td>
      <td className={tdClass}>{q.data?.updateState ? <StatusBadge status={q.data.updateState} /> : null}</td>
    </tr>
  );
}

function ClusterCard({ cluster }: { cluster: ClusterView }) {
  const q = useQuery({
    queryKey: ['cluster', cluster.name],
    queryFn: ({ signal }) => endpoints.cluster(cluster.name, signal),
    refetchInterval: 10_000,
  });
  return (
    <Card
      title={
        <span className="flex items-center gap-2" data-cluster={cluster.name}>
          {cluster.name} <StatusBadge status={cluster.status} />
        </span>
      }
      className="mb-4"
    >
      <p className="mb-3 text-xs text-zinc-500 dark:text-zinc-400">
        network {cluster.network}
        <span data-encrypted={cluster.encrypted ? 'yes' : 'no'}>
          {cluster.encrypted ? ' (overlay encrypted: IPsec ESP between nodes)' : ' (overlay not encrypted)'}
        </span>{' '}
        · edge proxy {cluster.proxyImage} on port {cluster.httpPort} of every node
      </p>
      <h3 className="mb-1 text-sm font-semibold">Nodes</h3>
      {q.data?.manager ? (
        <p className="mb-2 text-xs text-zinc-500 dark:text-zinc-400" data-answered-by={q.data.manager}>
          as manager {q.data.manager} sees them
          {q.data.passedOver.length
            ? ` (passed over ${q.data.passedOver.map((p) => `${p.server}: ${p.error}`).join('; ')})`
            : ''}
        </p>
      ) : null}
      {q.data?.live ? (
        <Table head={['Node', 'Server', 'Role', 'Status', 'Availability', 'Docker']} label={`Nodes of ${cluster.name}`}>
          {q.data.live.map((n) => (
            <tr key={n.id} data-node={n.hostname}>
              <td className={tdClass}>{n.hostname}</td>
              <td className={tdClass}>{n.server ?? '–'}</td>
              <td className={tdClass}>{n.managerStatus ? `manager (${n.managerStatus.toLowerCase()})` : 'worker'}</td>
              <td className={tdClass}>
                <StatusBadge status={n.status === 'Ready' ? 'up' : n.status.toLowerCase()} />
              </td>
              <td className={tdClass}>{n.availability.toLowerCase()}</td>
              <td className={tdClass}>{n.engineVersion}</td>
            </tr>
          ))}
        </Table>
      ) : (
        <p className="text-sm text-zinc-500">{q.data ? `No manager answered: ${q.data.error}` : 'Asking a manager…'}</p>
      )}
      <h3 className="mt-4 mb-1 text-sm font-semibold">Apps</h3>
      {cluster.apps.length ? (
        <Table head={['App', 'Replicas', 'Per node', 'Rollout']} label={`Apps of ${cluster.name}`}>
          {cluster.apps.map((a) => (
            <AppReplicas key={a.name} app={a} />
          ))}
        </Table>
      ) : (
        <p className="text-sm text-zinc-500">No apps on this cluster yet.</p>
      )}
    </Card>
  );
}

export default function ClustersPage() {
  const q = useQuery({
    queryKey: ['clusters'],
    queryFn: ({ signal }) => endpoints.clusters(signal),
    refetchInterval: 15_000,
  });
  return (
    <>
      <PageHeader title="Clusters" subtitle="Docker Swarm clusters: apps with replicas across servers" />
      <QueryState
        query={q}
        empty={
          <Card>
            <Empty title="No clusters yet">
              <p>
                Create one with <code>infrakt cluster create NAME --manager S1 --workers S2,S3</code>.
              </p>
            </Empty>
          </Card>
        }
      >
        {(clusters) => (
          <>
            {clusters.map((k) => (
              <ClusterCard key={k.name} cluster={k} />
            ))}
          </>
        )}
      </QueryState>
    </>
  );
}
