import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { DatabaseView } from '../api/types.js';
import { formatTime } from '../lib/format.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { useJobLauncher } from './job-dialog.js';
import { Empty, QueryState } from './states.js';
import { Button, SelectField, Table, tdClass } from './ui.js';

/** Off-site copies of a database: push the next verified backup to a target, list its snapshots there, restore one. */
export function DbOffsite({ db }: { db: DatabaseView }) {
  const targets = useQuery({ queryKey: ['backup-targets'], queryFn: ({ signal }) => endpoints.backupTargets(signal) });
  const [chosen, setChosen] = useState('');
  const target = chosen || targets.data?.[0]?.name || '';
  const snaps = useQuery({
    queryKey: ['db', db.name, 'snapshots', target],
    queryFn: ({ signal }) => endpoints.dbSnapshots(db.name, target, signal),
    enabled: target !== '',
  });
  const jobs = useJobLauncher();
  const [restoring, setRestoring] = useState<string | null>(null);
  if (targets.data && targets.data.length === 0)
    return (
      <p className="text-sm text-zinc-500 dark:text-zinc-400">No off-site target yet: add one on the Backups page.</p>
    );
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end gap-2">
        <SelectField label="Off-site target" value={target} onChange={(e) => setChosen(e.target.value)}>
          {(targets.data ?? []).map((t) => (
            <option key={t.name} value={t.name}>
              {t.name} ({t.location})
            </option>
          ))}
        </SelectField>
        <Button
          variant="primary"
          busy={jobs.busy !== null}
          disabled={!target}
          onClick={async () => {
            await jobs.launch(`Back up ${db.name} to ${target}`, () => endpoints.runBackup(db.name, target));
            await snaps.refetch();
          }}
        >
          Back up to {target || 'target'}
        </Button>
      </div>
      {target ? (
        <QueryState
          query={snaps}
          empty={<Empty title={`No snapshots on ${target} yet`} />}
          isEmpty={(s) => s.snapshots.length === 0}
        >
          {(s) => (
            <Table head={['Snapshot', 'Taken', 'From', 'Backup', '']} label={`Snapshots of ${db.name} on ${target}`}>
              {s.snapshots.map((x) => (
                <tr key={x.id} data-snapshot={x.shortId}>
                  <td className={`${tdClass} font-mono text-xs`}>{x.shortId}</td>
                  <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>{formatTime(x.time)}</td>
                  <td className={tdClass}>{x.host}</td>
                  <td className={`${tdClass} font-mono text-xs break-all`}>{x.file ?? '—'}</td>
                  <td className={`${tdClass} text-right`}>
                    <Button onClick={() => setRestoring(x.id)}>Restore</Button>
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </QueryState>
      ) : null}
      {jobs.dialog}
      <ConfirmDialog
        open={restoring !== null}
        onClose={() => setRestoring(null)}
        onConfirm={() => {
          const id = restoring;
          setRestoring(null);
          if (id)
            jobs.launch(`Restore ${db.name} from ${target}`, () => endpoints.restoreFromTarget(db.name, target, id));
        }}
        title={`Restore ${db.name} from ${target}`}
        name={db.name}
        action="Restore snapshot"
      >
        Fetches snapshot <code>{restoring?.slice(0, 8)}</code> from <strong>{target}</strong>, verifies it, then
        replaces the current data of <strong>{db.name}</strong>.
      </ConfirmDialog>
    </div>
  );
}
