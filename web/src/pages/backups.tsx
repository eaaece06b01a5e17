import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Plus } from 'lucide-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import type { BackupRunView } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { useJobLauncher } from '../components/job-dialog.js';
import { Empty, QueryState } from '../components/states.js';
import { AddTargetDialog } from '../components/target-add-dialog.js';
import { Button, Card, PageHeader, StatusBadge, Table, tdClass } from '../components/ui.js';
import { formatTime } from '../lib/format.js';

function Run({ run }: { run: BackupRunView | null }) {
  if (!run) return <span className="text-zinc-500 dark:text-zinc-400">never</span>;
  return (
    <span className="flex flex-wrap items-center gap-1.5" title={run.message ?? undefined}>
      <StatusBadge status={run.status} />
      <span className="text-xs text-zinc-500 dark:text-zinc-400">
        {run.target ? `${run.target} · ` : ''}
        {formatTime(run.at)}
      </span>
    </span>
  );
}

function Targets() {
  const q = useQuery({ queryKey: ['backup-targets'], queryFn: ({ signal }) => endpoints.backupTargets(signal) });
  const jobs = useJobLauncher();
  const qc = useQueryClient();
  const [removing, setRemoving] = useState<string | null>(null);
  const after = () => qc.invalidateQueries({ queryKey: ['backup-targets'] });
  return (
    <>
      <QueryState query={q} empty={<Empty title="No off-site targets yet" />}>
        {(targets) => (
          <Table head={['Name', 'Location', 'Host key / access key', 'Last check', 'Actions']} label="Backup targets">
            {targets.map((t) => (
              <tr key={t.name} data-target={t.name}>
                <td className={`${tdClass} font-medium`}>{t.name}</td>
                <td className={`${tdClass} font-mono text-xs break-all`}>{t.location}</td>
                <td className={`${tdClass} font-mono text-xs break-all`}>
                  {t.hostKeyFingerprint ?? t.accessKeyId ?? 'pinned on first use'}
                </td>
                <td className={tdClass}>
                  {t.lastCheck ? (
                    <span
                      className="flex flex-wrap items-center gap-1.5"
                      title={t.lastCheck.message}
                      data-check={`${t.lastCheck.kind} ${t.lastCheck.status}`}
                    >
                      {t.lastCheck.kind} <StatusBadge status={t.lastCheck.status} />
                      <span className="text-xs text-zinc-500 dark:text-zinc-400">{formatTime(t.lastCheck.at)}</span>
                    </span>
                  ) : (
                    <span className="text-zinc-500 dark:text-zinc-400">never</span>
                  )}
                </td>
                <td className={tdClass}>
                  <div className="flex flex-wrap gap-1.5">
                    <Button
                      onClick={async () => {
                        await jobs.launch(`Test ${t.name}`, () => endpoints.testBackupTarget(t.name));
                        await after();
                      }}
                    >
                      Test
                    </Button>
                    <Button
                      onClick={async () => {
                        await jobs.launch(`Verify ${t.name}`, () => endpoints.verifyBackupTarget(t.name));
                        await after();
                      }}
                    >
                      Verify
                    </Button>
                    <Button
                      variant="ghost"
                      className="text-red-600 dark:text-red-400"
                      onClick={() => setRemoving(t.name)}
                    >
                      Remove
                    </Button>
                  </div>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
      {jobs.dialog}
      <ConfirmDialog
        open={removing !== null}
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          const n = removing;
          setRemoving(null);
          if (n) await endpoints.removeBackupTarget(n);
          await after();
        }}
        title={`Forget target ${removing ?? ''}`}
        name={removing ?? ''}
        action="Forget target"
      >
        infrakt forgets the target and its repository password. The repository and its snapshots stay where they are.
      </ConfirmDialog>
    </>
  );
}

export default function BackupsPage() {
  const [adding, setAdding] = useState(false);
  const q = useQuery({
    queryKey: ['backups-overview'],
    queryFn: ({ signal }) => endpoints.backupOverview(signal),
    refetchInterval: 15_000,
  });
  return (
    <>
      <PageHeader
        title="Backups"
        subtitle="Off-site targets (restic over SFTP or S3) and the backup state of every database and app"
        actions={
          <Button variant="primary" onClick={() => setAdding(true)}>
            <Plus aria-hidden className="size-4" /> Add target
          </Button>
        }
      />
      <Card className="mb-5">
        <h2 className="mb-3 text-sm font-semibold">Targets</h2>
        <Targets />
      </Card>
      <QueryState query={q}>
        {(o) => (
          <div className="grid gap-5 lg:grid-cols-2">
            <Card>
              <h2 className="mb-3 text-sm font-semibold">Databases</h2>
              {o.databases.length === 0 ? (
                <Empty title="No databases" />
              ) : (
                <Table head={['Database', 'Server', 'Last off-site', 'Schedule pushes to']} label="Database backups">
                  {o.databases.map((d) => (
                    <tr key={`${d.server}/${d.name}`} data-db={d.name}>
                      <td className={`${tdClass} font-medium`}>
                        <Link to="/databases" className="hover:underline">
                          {d.name}
                        </Link>
                      </td>
                      <td className={tdClass}>{d.server}</td>
                      <td className={tdClass}>
                        <Run run={d.offsite} />
                      </td>
                      <td className={tdClass}>{d.scheduleTarget ?? '—'}</td>
                    </tr>
                  ))}
                </Table>
              )}
            </Card>
            <Card>
              <h2 className="mb-3 text-sm font-semibold">App volumes</h2>
              {o.apps.length === 0 ? (
                <Empty title="No apps" />
              ) : (
                <Table head={['App', 'Server', 'Last local', 'Last off-site']} label="App volume backups">
                  {o.apps.map((a) => (
                    <tr key={`${a.server}/${a.name}`} data-app={a.name}>
                      <td className={`${tdClass} font-medium`}>
                        <Link to={`/apps/${a.name}?tab=backups`} className="hover:underline">
                          {a.name}
                        </Link>
                      </td>
                      <td className={tdClass}>{a.server}</td>
                      <td className={tdClass}>
                        <Run run={a.local} />
                      </td>
                      <td className={tdClass}>
                        <Run run={a.offsite} />
                      </td>
                    </tr>
                  ))}
                </Table>
              )}
            </Card>
          </div>
        )}
      </QueryState>
      <AddTargetDialog open={adding} onClose={() => setAdding(false)} />
    </>
  );
}
