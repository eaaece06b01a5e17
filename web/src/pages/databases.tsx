import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Plus } from 'lucide-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import type { DatabaseView } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CreateDatabaseDialog } from '../components/db-create-dialog.js';
import { DbOffsite } from '../components/db-offsite.js';
import { Dialog } from '../components/dialog.js';
import { useJobLauncher } from '../components/job-dialog.js';
import { Empty, QueryState } from '../components/states.js';
import { Button, Card, PageHeader, StatusBadge, Table, tdClass } from '../components/ui.js';
import { formatBytes, formatTime } from '../lib/format.js';

function Backups({ db }: { db: DatabaseView }) {
  const q = useQuery({
    queryKey: ['db', db.name, 'backups'],
    queryFn: ({ signal }) => endpoints.backups(db.name, signal),
  });
  const jobs = useJobLauncher();
  const [restoring, setRestoring] = useState<string | null>(null);
  return (
    <div className="space-y-3">
      <Button
        variant="primary"
        onClick={() => jobs.launch(`Back up ${db.name}`, () => endpoints.runBackup(db.name))}
        busy={jobs.busy !== null}
      >
        Run backup now
      </Button>
      <QueryState
        query={q}
        empty={<Empty title="No backups yet" />}
        isEmpty={(l) => l.backups.length === 0 && !l.lastManual}
      >
        {(list) => (
          <div className="space-y-3">
            {[list.lastManual, list.lastScheduled].map((r) =>
              r ? (
                <p key={r.trigger} className="flex flex-wrap items-center gap-2 text-sm">
                  <span className="text-zinc-500 dark:text-zinc-400">Last {r.trigger} backup</span>
                  <StatusBadge status={r.status} />
                  <span className="text-zinc-500 dark:text-zinc-400">{formatTime(r.finishedAt)}</span>
                  {r.status === 'failed' && r.message ? (
                    <span className="text-red-600 dark:text-red-400">{r.message}</span>
                  ) : null}
                </p>
              ) : null,
            )}
            {list.schedule ? (
              <p className="text-sm text-zinc-500 dark:text-zinc-400">
                Scheduled <code>{list.schedule.cron}</code>, keeping {list.schedule.keep}
              </p>
            ) : null}
            <Table head={['Backup', 'Size', 'Taken', 'Verified', '']} label={`Backups of ${db.name}`}>
              {list.backups.map((b) => (
                <tr key={b.name}>
                  <td className={`${tdClass} font-mono text-xs break-all`}>
                    {b.name}
                    {b.trigger ? (
                      <span className="ml-1 font-sans text-zinc-500 dark:text-zinc-400">({b.trigger})</span>
                    ) : null}
                  </td>
                  <td className={`${tdClass} tabular-nums`}>{formatBytes(b.size)}</td>
                  <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>{formatTime(b.createdAt)}</td>
                  <td className={tdClass}>
                    {b.verified ? <StatusBadge status="ok" /> : <StatusBadge status="unverified" />}
                  </td>
                  <td className={`${tdClass} text-right`}>
                    <Button onClick={() => setRestoring(b.name)}>Restore</Button>
                  </td>
                </tr>
              ))}
            </Table>
          </div>
        )}
      </QueryState>
      {jobs.dialog}
      <ConfirmDialog
        open={restoring !== null}
        onClose={() => setRestoring(null)}
        onConfirm={() => {
          const b = restoring;
          setRestoring(null);
          if (b) jobs.launch(`Restore ${db.name}`, () => endpoints.restoreBackup(db.name, b));
        }}
        title={`Restore ${db.name}`}
        name={db.name}
        action="Restore backup"
      >
        Replaces the current data of <strong>{db.name}</strong> with backup{' '}
        <code className="break-all">{restoring}</code>.
      </ConfirmDialog>
    </div>
  );
}

function DbRow({ db }: { db: DatabaseView }) {
  const [backupsOpen, setBackupsOpen] = useState(false);
  const [destroying, setDestroying] = useState(false);
  const jobs = useJobLauncher();
  const qc = useQueryClient();
  return (
    <tr data-db={db.name}>
      <td className={`${tdClass} font-medium`}>{db.name}</td>
      <td className={tdClass}>
        <Link to={`/servers/${db.server}`} className="hover:underline">
          {db.server}
        </Link>
      </td>
      <td className={tdClass}>
        {db.type.replace(/^db:/, '')}
        {db.version ? <span className="text-zinc-500 dark:text-zinc-400"> {db.version}</span> : null}
      </td>
      <td className={`${tdClass} font-mono text-xs`}>{db.port ? `127.0.0.1:${db.port}` : '—'}</td>
      <td className={tdClass}>
        <StatusBadge status={db.status} />
      </td>
      <td className={tdClass}>
        <div className="flex flex-wrap gap-1.5">
          <Button onClick={() => setBackupsOpen(true)}>Backups</Button>
          <Button variant="ghost" className="text-red-600 dark:text-red-400" onClick={() => setDestroying(true)}>
            Destroy
          </Button>
        </div>
        <Dialog open={backupsOpen} onClose={() => setBackupsOpen(false)} title={`Backups of ${db.name}`} wide>
          <Backups db={db} />
          <h3 className="mt-5 mb-2 text-sm font-semibold">Off-site</h3>
          <DbOffsite db={db} />
        </Dialog>
        <ConfirmDialog
          open={destroying}
          onClose={() => setDestroying(false)}
          onConfirm={async () => {
            setDestroying(false);
            await jobs.launch(`Destroy ${db.name}`, () => endpoints.destroyDatabase(db.name));
            await qc.invalidateQueries({ queryKey: ['databases'] });
          }}
          title={`Destroy database ${db.name}`}
          name={db.name}
          action="Destroy database"
        >
          Removes the database container and its data volume on <strong>{db.server}</strong>. Backups on the server are
          kept.
        </ConfirmDialog>
        {jobs.dialog}
      </td>
    </tr>
  );
}

export default function DatabasesPage() {
  const [creating, setCreating] = useState(false);
  const q = useQuery({
    queryKey: ['databases'],
    queryFn: ({ signal }) => endpoints.databases(signal),
    refetchInterval: 15_000,
  });
  return (
    <>
      <PageHeader
        title="Databases"
        subtitle="Postgres, MySQL, MariaDB, Redis and MongoDB, reachable on the server's loopback only"
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            <Plus aria-hidden className="size-4" /> Create database
          </Button>
        }
      />
      <Card>
        <QueryState query={q} empty={<Empty title="No databases yet" />}>
          {(dbs) => (
            <Table head={['Name', 'Server', 'Type', 'Port', 'Status', 'Actions']} label="Databases">
              {dbs.map((d) => (
                <DbRow key={`${d.server}/${d.name}`} db={d} />
              ))}
            </Table>
          )}
        </QueryState>
      </Card>
      <CreateDatabaseDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}
