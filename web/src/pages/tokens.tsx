import { useQuery, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, KeyRound } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { TokenCreated, TokenCreateRequest, TokenView } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import { Dialog } from '../components/dialog.js';
import { FormDialog, useSubmit } from '../components/form-dialog.js';
import { Empty, QueryState } from '../components/states.js';
import { Button, Card, Field, PageHeader, SelectField, StatusBadge, Table, tdClass } from '../components/ui.js';
import { useTypedRemove } from '../components/use-typed-remove.js';
import { formatAgo, formatTime } from '../lib/format.js';

const SCOPES = ['read', 'deploy', 'admin'] as const;

/** Scoped API tokens (service accounts): created here, the secret shown once; listed with last use; revoked. */
export default function TokensPage() {
  const [creating, setCreating] = useState(false);
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: ({ signal }) => endpoints.tokens(signal) });
  return (
    <>
      <PageHeader
        title="API tokens"
        subtitle="For CI and scripts: Authorization: Bearer <token>; only a hash is stored"
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            <KeyRound aria-hidden className="size-4" /> Create token
          </Button>
        }
      />
      <Card>
        <QueryState query={tokens} empty={<Empty title="No tokens yet" />}>
          {(rows) => <TokenTable rows={rows} />}
        </QueryState>
      </Card>
      <CreateTokenDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}

function TokenTable({ rows }: { rows: TokenView[] }) {
  const revocation = useTypedRemove(['tokens'], endpoints.revokeToken, { done: 'Revoked', failed: 'Could not revoke' });
  return (
    <>
      <Table
        head={['Token', 'Scope', 'Limited to', 'Status', 'Last used', 'Expires', 'Created by', '']}
        label="API tokens"
      >
        {rows.map((t) => (
          <tr key={t.name} data-token={t.name}>
            <td className={tdClass}>
              <span className="font-medium">{t.name}</span>{' '}
              <span className="font-mono text-xs text-zinc-500 dark:text-zinc-400">{t.prefix}…</span>
            </td>
            <td className={tdClass}>{t.scope}</td>
            <td className={`${tdClass} text-xs`}>
              {[t.app ? `app ${t.app}` : '', t.server ? `server ${t.server}` : ''].filter(Boolean).join(', ') ||
                'everything'}
            </td>
            <td className={tdClass}>
              <StatusBadge status={t.status} />
            </td>
            <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>
              {t.lastUsedAt ? formatAgo(t.lastUsedAt) : 'never'}
            </td>
            <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>
              {t.expiresAt ? formatTime(t.expiresAt) : 'never'}
            </td>
            <td className={`${tdClass} text-xs text-zinc-500 dark:text-zinc-400`}>{t.createdBy}</td>
            <td className={`${tdClass} text-right`}>
              {t.status === 'active' ? (
                <Button variant="danger" onClick={() => revocation.ask(t.name)}>
                  Revoke
                </Button>
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
      <ConfirmDialog {...revocation.dialog} title="Revoke this token?" action="Revoke">
        Its next request is refused. Whatever uses it needs a new token.
      </ConfirmDialog>
    </>
  );
}

function CreateTokenDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const empty = { name: '', scope: 'read' as TokenCreateRequest['scope'], app: '', server: '', expires: '' };
  const [v, setV] = useState(empty);
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const submit = useSubmit(async () => {
    const t = await endpoints.createToken({
      name: v.name.trim(),
      scope: v.scope,
      ...(v.app.trim() ? { app: v.app.trim() } : {}),
      ...(v.server.trim() ? { server: v.server.trim() } : {}),
      ...(v.expires.trim() ? { expires: v.expires.trim() } : {}),
    });
    setCreated(t);
    await qc.invalidateQueries({ queryKey: ['tokens'] });
  });
  const { fields } = submit;
  const close = () => {
    // The secret is forgotten with the dialog: it cannot be shown again.
    setCreated(null);
    setV(empty);
    submit.reset();
    onClose();
  };
  if (created) {
    return (
      <Dialog
        open={open}
        onClose={close}
        title={`Token ${created.token.name} created`}
        footer={<Button onClick={close}>Done</Button>}
      >
        <div className="space-y-3 text-sm">
          <p className="flex gap-2 rounded-md bg-amber-50 p-3 text-amber-900 dark:bg-amber-950/40 dark:text-amber-200">
            <AlertTriangle aria-hidden className="mt-0.5 size-4 shrink-0" />
            Copy it now: it is shown this once and only its hash is kept.
          </p>
          <output
            aria-label="Token secret"
            className="block break-all rounded-md bg-zinc-100 p-2 font-mono text-xs dark:bg-zinc-800"
          >
            {created.secret}
          </output>
          <CopyButton text={created.secret} label="Copy token" />
        </div>
      </Dialog>
    );
  }
  return (
    <FormDialog
      open={open}
      onClose={close}
      title="Create an API token"
      formId="token-create"
      action="Create token"
      submit={submit}
    >
      <Field
        label="Name"
        autoComplete="off"
        value={v.name}
        error={fields.name}
        onChange={(e) => setV({ ...v, name: e.target.value })}
      />
      <SelectField
        label="Scope"
        value={v.scope}
        onChange={(e) => setV({ ...v, scope: e.target.value as TokenCreateRequest['scope'] })}
      >
        {SCOPES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </SelectField>
      <Field
        label="Only app"
        hint="Optional: the token may touch this app only"
        value={v.app}
        error={fields.app}
        onChange={(e) => setV({ ...v, app: e.target.value })}
      />
      <Field
        label="Only server"
        hint="Optional: the token may touch this server only"
        value={v.server}
        error={fields.server}
        onChange={(e) => setV({ ...v, server: e.target.value })}
      />
      <Field
        label="Expires after"
        hint="e.g. 30d, 12h, 2w; empty: never"
        value={v.expires}
        error={fields.expires}
        onChange={(e) => setV({ ...v, expires: e.target.value })}
      />
    </FormDialog>
  );
}
