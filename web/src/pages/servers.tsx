import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Plus, RadioTower } from 'lucide-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { carriedError } from '../api/client.js';
import { endpoints } from '../api/endpoints.js';
import type { ServerView } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { AddEdgeServerDialog } from '../components/edge-add-dialog.js';
import { EdgeBadge } from '../components/edge-badge.js';
import { useJobLauncher } from '../components/job-dialog.js';
import { AddServerDialog } from '../components/server-add-dialog.js';
import { Empty, QueryState } from '../components/states.js';
import { useToast } from '../components/toast.js';
import { Button, Card, PageHeader, StatusBadge, Table, tdClass } from '../components/ui.js';
import { formatAgo } from '../lib/format.js';

export function ServerActions({ server, onRemoved }: { server: ServerView; onRemoved?: () => void }) {
  const jobs = useJobLauncher();
  const toast = useToast();
  const qc = useQueryClient();
  const [removing, setRemoving] = useState(false);
  const [busy, setBusy] = useState(false);
  const [testing, setTesting] = useState(false);
  const test = async () => {
    setTesting(true);
    try {
      const r = await endpoints.testServer(server.name);
      if (r.status === 'ok') {
        toast.success(
          `${server.name} is reachable`,
          `${r.system ?? ''} · ${r.durationMs} ms${r.pinned ? ` · host key pinned: ${r.fingerprint}` : ''}`,
        );
      } else {
        toast.error(`${server.name}: ${r.status.replaceAll('_', ' ')}`, r.error ? carriedError(r.error) : undefined);
      }
    } catch (e) {
      toast.error(`Could not test ${server.name}`, e);
    } finally {
      setTesting(false);
      await qc.invalidateQueries({ queryKey: ['servers'] });
      await qc.invalidateQueries({ queryKey: ['server', server.name] });
    }
  };
  const remove = async () => {
    setBusy(true);
    try {
      await endpoints.removeServer(server.name, server.appCount > 0);
      toast.success(`Removed server ${server.name}`);
      setRemoving(false);
      await qc.invalidateQueries();
      onRemoved?.();
    } catch (e) {
      toast.error(`Could not remove ${server.name}`, e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="flex flex-wrap gap-1.5">
      <Button onClick={test} busy={testing}>
        Test
      </Button>
      <Button
        onClick={() => jobs.launch(`Provision ${server.name}`, () => endpoints.provisionServer(server.name))}
        busy={jobs.busy === `Provision ${server.name}`}
      >
        Provision
      </Button>
      <Button variant="ghost" className="text-red-600 dark:text-red-400" onClick={() => setRemoving(true)}>
        Remove
      </Button>
      {jobs.dialog}
      <ConfirmDialog
        open={removing}
        onClose={() => setRemoving(false)}
        onConfirm={remove}
        busy={busy}
        title={`Remove server ${server.name}`}
        name={server.name}
        action="Remove server"
      >
        infrakt forgets this server locally{server.appCount > 0 ? ` and its ${server.appCount} app(s)` : ''}. Nothing on
        the server itself is changed.
      </ConfirmDialog>
    </div>
  );
}

export default function ServersPage() {
  const [adding, setAdding] = useState(false);
  const [addingEdge, setAddingEdge] = useState(false);
  const q = useQuery({
    queryKey: ['servers'],
    queryFn: ({ signal }) => endpoints.servers(signal),
    refetchInterval: 15_000,
  });
  const addButton = (
    <div className="flex flex-wrap gap-2">
      <Button onClick={() => setAddingEdge(true)}>
        <RadioTower aria-hidden className="size-4" /> Add edge server
      </Button>
      <Button variant="primary" onClick={() => setAdding(true)}>
        <Plus aria-hidden className="size-4" /> Add server
      </Button>
    </div>
  );
  return (
    <>
      <PageHeader title="Servers" subtitle="Machines infrakt reaches over SSH" actions={addButton} />
      <Card>
        <QueryState
          query={q}
          empty={
            <Empty title="No servers yet">
              <p>Add the first machine infrakt should manage.</p>
            </Empty>
          }
        >
          {(servers) => (
            <Table head={['Name', 'Host', 'Status', 'Apps', 'Checked', 'Actions']} label="Servers">
              {servers.map((s) => (
                <tr key={s.id} data-server={s.name}>
                  <td className={tdClass}>
                    <Link
                      to={`/servers/${s.name}`}
                      className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
                    >
                      {s.name}
                    </Link>
                    {s.provider ? (
                      <span className="ml-1 text-xs text-zinc-500 dark:text-zinc-400">{s.provider}</span>
                    ) : null}
                    <EdgeBadge edge={s.edge} />
                  </td>
                  <td className={`${tdClass} font-mono text-xs`}>
                    {s.user}@{s.host}:{s.port}
                  </td>
                  <td className={tdClass}>
                    <StatusBadge status={s.status} />
                    {s.lastError ? (
                      <p
                        className="mt-0.5 max-w-xs truncate text-xs text-red-600 dark:text-red-400"
                        title={s.lastError}
                      >
                        {s.lastError}
                      </p>
                    ) : null}
                  </td>
                  <td className={`${tdClass} tabular-nums`}>{s.appCount}</td>
                  <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>{formatAgo(s.lastCheckedAt)}</td>
                  <td className={tdClass}>
                    <ServerActions server={s} />
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </QueryState>
      </Card>
      <AddServerDialog open={adding} onClose={() => setAdding(false)} />
      <AddEdgeServerDialog open={addingEdge} onClose={() => setAddingEdge(false)} />
    </>
  );
}
