import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import type { CatalogInstalled } from '../api/types.js';
import { useMe } from '../lib/use-me.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { useJobLauncher } from './job-dialog.js';
import { Empty, QueryState } from './states.js';
import { Button, Card, StatusBadge, Table, tdClass } from './ui.js';

/**
 * What the catalog installed: apps from compose entries and host entries run on servers. Admins remove them
 * after typing the name: a host entry runs its uninstall script (the row stays when it fails), an app is
 * destroyed with its named volumes kept.
 */
export function CatalogInstalledList() {
  const q = useQuery({ queryKey: ['catalog-installed'], queryFn: ({ signal }) => endpoints.catalogInstalled(signal) });
  const me = useMe();
  const admin = me.data?.level === 'admin';
  const qc = useQueryClient();
  const jobs = useJobLauncher();
  const [removing, setRemoving] = useState<CatalogInstalled | null>(null);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['catalog-installed'] });
    void qc.invalidateQueries({ queryKey: ['apps'] });
  };
  return (
    <Card title="Installed" className="mb-6">
      <QueryState query={q} empty={<Empty title="Nothing installed from the catalog yet" />}>
        {(rows) => (
          <Table head={['Name', 'Entry', 'Kind', 'Server', 'Status', '']} label="Installed from the catalog">
            {rows.map((r) => (
              <tr key={`${r.server}/${r.kind}/${r.name}`} data-installed={r.name} data-server={r.server}>
                <td className={`${tdClass} font-medium`}>
                  {r.kind === 'compose' ? (
                    <Link
                      to={`/apps/${encodeURIComponent(r.name)}`}
                      className="text-indigo-600 hover:underline dark:text-indigo-400"
                    >
                      {r.name}
                    </Link>
                  ) : (
                    r.name
                  )}
                </td>
                <td className={tdClass}>
                  {r.entry} <span className="text-xs text-zinc-500 dark:text-zinc-400">{r.version}</span>
                </td>
                <td className={tdClass}>{r.kind === 'host' ? 'host installer' : 'app'}</td>
                <td className={tdClass}>{r.server}</td>
                <td className={tdClass}>
                  <StatusBadge status={r.status} />
                </td>
                <td className={`${tdClass} text-right`}>
                  {admin && !r.removable ? (
                    <span className="text-xs text-zinc-500 dark:text-zinc-400" data-not-removable>
                      no uninstall script: remove by hand
                    </span>
                  ) : admin ? (
                    <Button
                      variant="danger"
                      busy={jobs.busy === `Remove ${r.name}`}
                      onClick={() => setRemoving(r)}
                      aria-label={`Remove ${r.name} from ${r.server}`}
                    >
                      Remove
                    </Button>
                  ) : null}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.name ?? ''}?`}
        name={removing?.name ?? ''}
        action="Remove"
        onClose={() => setRemoving(null)}
        onConfirm={() => {
          const r = removing;
          setRemoving(null);
          if (!r) return;
          void jobs.launch(`Remove ${r.name}`, () => endpoints.uninstallCatalog(r), { onSucceeded: refresh });
        }}
      >
        {removing?.kind === 'host'
          ? `Runs the uninstall script of ${removing.entry} on ${removing.server}. It stays listed if the script fails.`
          : `Destroys app ${removing?.name ?? ''} on ${removing?.server ?? ''}: its containers and route go; named volumes are kept.`}
      </ConfirmDialog>
      {jobs.dialog}
    </Card>
  );
}
