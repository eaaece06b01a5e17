import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AppView } from '../api/types.js';
import { formatBytes, formatTime } from '../lib/format.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { useJobLauncher } from './job-dialog.js';
import { Empty, QueryState } from './states.js';
import { TargetSelect } from './target-select.js';
import { Button, StatusBadge, Table, tdClass } from './ui.js';

/** The app's volume backups: take one (local repository or a target), list snapshots, restore one (typed confirm). */
export function AppBackups({ app }: { app: AppView }) {
  const q = useQuery({
    queryKey: ['app', app.name, 'backups'],
    queryFn: ({ signal }) => endpoints.appBackups(app.name, signal),
  });
  const jobs = useJobLauncher();
  const qc = useQueryClient();
  const [target, setTarget] = useState('');
  const [restoring, setRestoring] = useState<{ id: string; target: string | null } | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: ['app', app.name, 'backups'] });
  return (
    <div className="space-y-3">
      <p className="text-sm text-zinc-500 dark:text-zinc-400">
        Named volumes are backed up with restic while the app&apos;s containers are paused (a crash-consistent copy).
      </p>
      <div className="flex flex-wrap items-end gap-2">
        <TargetSelect value={target} onChange={setTarget} localLabel="the server's local repository" />
        <Button
          variant="primary"
          busy={jobs.busy !== null}
          onClick={async () => {
            await jobs.launch(`Back up ${app.name}`, () => endpoints.runAppBackup(app.name, target || undefined));
            await refresh();
          }}
        >
          Back up volumes now
        </Button>
      </div>
      <QueryState query={q} empty={<Empty title="No volume backups yet" />} isEmpty={(l) => l.snapshots.length === 0}>
        {(list) => (
          <div className="space-y-2">
            {list.runs[0] ? (
              <p className="flex flex-wrap items-center gap-2 text-sm">
                <span className="text-zinc-500 dark:text-zinc-400">Last backup</span>
                <StatusBadge status={list.runs[0].status} />
                <span className="text-zinc-500 dark:text-zinc-400">
                  {list.runs[0].target ? `to ${list.runs[0].target}` : 'local'} · {formatTime(list.runs[0].at)}
                </span>
              </p>
            ) : null}
            <Table head={['Snapshot', 'Taken', 'Where', 'Volumes', '']} label={`Volume backups of ${app.name}`}>
              {list.snapshots.map((s) => (
                <tr key={`${s.target ?? 'local'}/${s.id}`} data-snapshot={s.shortId}>
                  <td className={`${tdClass} font-mono text-xs`}>{s.shortId}</td>
                  <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>{formatTime(s.time)}</td>
                  <td className={tdClass}>{s.target ?? 'local'}</td>
                  <td className={`${tdClass} tabular-nums`}>{s.paths.length}</td>
                  <td className={`${tdClass} text-right`}>
                    <Button onClick={() => setRestoring({ id: s.id, target: s.target })}>Restore</Button>
                  </td>
                </tr>
              ))}
            </Table>
            {list.errors.map((e) => (
              <p key={e.target ?? 'local'} className="text-sm text-red-600 dark:text-red-400">
                Could not read {e.target ?? 'the local repository'}: {e.message}
              </p>
            ))}
            {list.runs[0]?.bytes ? (
              <p className="text-xs text-zinc-500 dark:text-zinc-400">
                Last backup read {formatBytes(list.runs[0].bytes)}.
              </p>
            ) : null}
          </div>
        )}
      </QueryState>
      {jobs.dialog}
      <ConfirmDialog
        open={restoring !== null}
        onClose={() => setRestoring(null)}
        onConfirm={async () => {
          const r = restoring;
          setRestoring(null);
          if (r) await jobs.launch(`Restore ${app.name}`, () => endpoints.restoreApp(app.name, r.id, r.target));
        }}
        title={`Restore the volumes of ${app.name}`}
        name={app.name}
        action="Restore volumes"
      >
        Stops <strong>{app.name}</strong>, replaces its volumes with snapshot <code>{restoring?.id.slice(0, 8)}</code> (
        {restoring?.target ?? 'local'}), starts it and checks its health.
      </ConfirmDialog>
    </div>
  );
}
