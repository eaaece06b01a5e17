import { useQuery } from '@tanstack/react-query';
import { LogIn } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { OidcProviderView } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { AddOidcProviderDialog } from '../components/oidc-provider-add-dialog.js';
import { Empty, QueryState } from '../components/states.js';
import { Button, Card, PageHeader, Table, tdClass } from '../components/ui.js';
import { useTypedRemove } from '../components/use-typed-remove.js';

const rule = (r: OidcProviderView['allow'][number]) =>
  `${r.match} → ${r.role}${r.servers?.length ? ` (${r.servers.join(', ')})` : ''}`;

/** Sign-in providers (admin only): OpenID Connect issuers and GitHub whose verified emails sign in as users. */
export default function OidcProvidersPage() {
  const [adding, setAdding] = useState(false);
  const providers = useQuery({
    queryKey: ['oidc-providers'],
    queryFn: ({ signal }) => endpoints.oidcProviders(signal),
  });
  return (
    <>
      <PageHeader
        title="Sign-in providers"
        subtitle="OpenID Connect or GitHub: a button on the login page; a verified email signs in as its user"
        actions={
          <Button variant="primary" onClick={() => setAdding(true)}>
            <LogIn aria-hidden className="size-4" /> Add provider
          </Button>
        }
      />
      <Card>
        <QueryState
          query={providers}
          empty={<Empty title="No sign-in providers">Team members sign in with their password.</Empty>}
        >
          {(rows) => <ProviderTable rows={rows} />}
        </QueryState>
      </Card>
      <AddOidcProviderDialog open={adding} onClose={() => setAdding(false)} />
    </>
  );
}

function ProviderTable({ rows }: { rows: OidcProviderView[] }) {
  const removal = useTypedRemove(['oidc-providers'], endpoints.removeOidcProvider);
  return (
    <>
      <Table head={['Provider', 'Kind', 'Issuer', 'Client ID', 'New users', '']} label="Sign-in providers">
        {rows.map((p) => (
          <tr key={p.name} data-provider={p.name}>
            <td className={tdClass}>
              <span className="font-medium">{p.name}</span>
              <span className="block text-xs text-zinc-500 dark:text-zinc-400">{p.label}</span>
            </td>
            <td className={tdClass}>{p.kind === 'github' ? 'GitHub' : 'OpenID Connect'}</td>
            <td className={`${tdClass} font-mono text-xs break-all`}>{p.issuer}</td>
            <td className={`${tdClass} font-mono text-xs break-all`}>{p.clientId}</td>
            <td className={`${tdClass} text-xs`}>
              {p.allow.length ? p.allow.map(rule).join(', ') : 'existing users only'}
            </td>
            <td className={`${tdClass} text-right`}>
              <Button variant="danger" onClick={() => removal.ask(p.name)}>
                Remove
              </Button>
            </td>
          </tr>
        ))}
      </Table>
      <ConfirmDialog {...removal.dialog} title="Remove this sign-in provider?" action="Remove provider">
        Its button leaves the login page. Sessions already open through it stay until they expire or are ended.
      </ConfirmDialog>
    </>
  );
}
