import { useQuery, useQueryClient } from '@tanstack/react-query';
import { UserPlus } from 'lucide-react';
import { useState } from 'react';
import { isApiError } from '../api/client.js';
import { endpoints } from '../api/endpoints.js';
import type { UserView } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Dialog } from '../components/dialog.js';
import { FormError } from '../components/form-parts.js';
import { Empty, QueryState } from '../components/states.js';
import { useToast } from '../components/toast.js';
import { Button, Card, Field, PageHeader, SelectField, Table, tdClass } from '../components/ui.js';
import { formatAgo } from '../lib/format.js';

const ROLES = ['viewer', 'deployer', 'admin'] as const;
type Role = (typeof ROLES)[number];

/** `a, b` → ['a', 'b']; empty → undefined (every server). */
const serverList = (v: string) => {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length ? list : undefined;
};

/** Team members, their roles and server limits: add, change role, reset a password, remove (admin only). */
export default function UsersPage() {
  const [adding, setAdding] = useState(false);
  const users = useQuery({ queryKey: ['users'], queryFn: ({ signal }) => endpoints.users(signal) });
  return (
    <>
      <PageHeader
        title="Users"
        subtitle="viewer reads · deployer deploys the apps it may touch · admin does everything"
        actions={
          <Button variant="primary" onClick={() => setAdding(true)}>
            <UserPlus aria-hidden className="size-4" /> Add user
          </Button>
        }
      />
      <Card>
        <QueryState
          query={users}
          empty={<Empty title="No users yet">The owner's API key stays the way in; add team members here.</Empty>}
        >
          {(rows) => <UserTable rows={rows} />}
        </QueryState>
      </Card>
      <AddUserDialog open={adding} onClose={() => setAdding(false)} />
    </>
  );
}

function UserTable({ rows }: { rows: UserView[] }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [removing, setRemoving] = useState<string | null>(null);
  const [resetting, setResetting] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const changeRole = async (name: string, role: Role) => {
    try {
      await endpoints.updateUser(name, { role });
      toast.success(`${name} is now ${role === 'admin' ? 'an' : 'a'} ${role}; their sessions ended`);
    } catch (e) {
      toast.error(`Could not change ${name}'s role`, e);
    } finally {
      await qc.invalidateQueries({ queryKey: ['users'] });
    }
  };
  return (
    <>
      <Table head={['User', 'Role', 'Servers', 'Email', 'Sign-in', 'Sessions', 'Added', '']} label="Users">
        {rows.map((u) => (
          <tr key={u.name} data-user={u.name}>
            <td className={`${tdClass} font-medium`}>{u.name}</td>
            <td className={tdClass}>
              <label className="sr-only" htmlFor={`role-${u.name}`}>
                Role of {u.name}
              </label>
              <select
                id={`role-${u.name}`}
                value={u.role}
                onChange={(e) => void changeRole(u.name, e.target.value as Role)}
                className="rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-900"
              >
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </td>
            <td className={`${tdClass} text-xs`}>{u.servers ? u.servers.join(', ') : 'all'}</td>
            <td className={`${tdClass} text-xs text-zinc-500 dark:text-zinc-400`}>{u.email ?? '—'}</td>
            <td className={`${tdClass} text-xs`}>{u.password ? 'password' : 'identity provider'}</td>
            <td className={`${tdClass} tabular-nums`}>{u.sessions}</td>
            <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>{formatAgo(u.createdAt)}</td>
            <td className={`${tdClass} space-x-2 text-right whitespace-nowrap`}>
              <Button onClick={() => setResetting(u.name)}>Set password</Button>
              <Button variant="danger" onClick={() => setRemoving(u.name)}>
                Remove
              </Button>
            </td>
          </tr>
        ))}
      </Table>
      <PasswordDialog name={resetting} onClose={() => setResetting(null)} />
      <ConfirmDialog
        open={removing !== null}
        title="Remove this user?"
        name={removing ?? ''}
        action="Remove user"
        busy={busy}
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          if (!removing) return;
          setBusy(true);
          try {
            await endpoints.removeUser(removing);
            toast.success(`Removed ${removing}`);
          } catch (e) {
            toast.error(`Could not remove ${removing}`, e);
          } finally {
            setBusy(false);
            setRemoving(null);
            await qc.invalidateQueries({ queryKey: ['users'] });
          }
        }}
      >
        Their sessions end now; the audit log keeps what they did.
      </ConfirmDialog>
    </>
  );
}

function AddUserDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const empty = { name: '', role: 'viewer' as Role, servers: '', email: '', password: '' };
  const [v, setV] = useState(empty);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fields = isApiError(error) ? error.fieldErrors() : {};
  const close = () => {
    setV(empty);
    setError(null);
    onClose();
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const servers = serverList(v.servers);
      const u = await endpoints.addUser({
        name: v.name.trim(),
        role: v.role,
        ...(servers ? { servers } : {}),
        ...(v.email.trim() ? { email: v.email.trim() } : {}),
        ...(v.password ? { password: v.password } : {}),
      });
      toast.success(`Added ${u.name} (${u.role})`);
      await qc.invalidateQueries({ queryKey: ['users'] });
      close();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open={open}
      onClose={close}
      title="Add a user"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="primary" type="submit" form="user-add" busy={busy}>
            Add user
          </Button>
        </>
      }
    >
      <form id="user-add" onSubmit={submit} className="space-y-3">
        <Field
          label="Name"
          name="name"
          autoComplete="off"
          value={v.name}
          error={fields.name}
          onChange={(e) => setV({ ...v, name: e.target.value })}
        />
        <SelectField label="Role" value={v.role} onChange={(e) => setV({ ...v, role: e.target.value as Role })}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </SelectField>
        <Field
          label="Servers"
          hint="Comma-separated; empty: every server"
          value={v.servers}
          error={fields.servers}
          onChange={(e) => setV({ ...v, servers: e.target.value })}
        />
        <Field
          label="Email"
          type="email"
          hint="Matches an OpenID Connect sign-in"
          value={v.email}
          error={fields.email}
          onChange={(e) => setV({ ...v, email: e.target.value })}
        />
        <Field
          label="Initial password"
          type="password"
          autoComplete="new-password"
          hint="At least 10 characters; empty: sign-in through the identity provider only"
          value={v.password}
          error={fields.password}
          onChange={(e) => setV({ ...v, password: e.target.value })}
        />
        <FormError error={Object.keys(fields).length ? null : error} />
      </form>
    </Dialog>
  );
}

function PasswordDialog({ name, onClose }: { name: string | null; onClose: () => void }) {
  const toast = useToast();
  const qc = useQueryClient();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const close = () => {
    setPassword('');
    setError(null);
    onClose();
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!name) return;
    setBusy(true);
    setError(null);
    try {
      const r = await endpoints.setUserPassword(name, password);
      toast.success(`Password of ${name} set; ${r.sessionsEnded} session(s) ended`);
      await qc.invalidateQueries({ queryKey: ['users'] });
      close();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fields = isApiError(error) ? error.fieldErrors() : {};
  return (
    <Dialog
      open={name !== null}
      onClose={close}
      title={`Set the password of ${name ?? ''}`}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="primary" type="submit" form="user-password" busy={busy}>
            Set password
          </Button>
        </>
      }
    >
      <form id="user-password" onSubmit={submit} className="space-y-3">
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          value={password}
          error={fields.password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <FormError error={Object.keys(fields).length ? null : error} />
      </form>
    </Dialog>
  );
}
