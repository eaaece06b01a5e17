import { useQuery, useQueryClient } from '@tanstack/react-query';
import { UserPlus } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { UserView } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { FormDialog, useSubmit } from '../components/form-dialog.js';
import { Empty, QueryState } from '../components/states.js';
import { useToast } from '../components/toast.js';
import { Button, Card, Field, PageHeader, SelectField, Table, tdClass } from '../components/ui.js';
import { useTypedRemove } from '../components/use-typed-remove.js';
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
  const removal = useTypedRemove(['users'], endpoints.removeUser);
  const [resetting, setResetting] = useState<string | null>(null);
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
              <Button variant="danger" onClick={() => removal.ask(u.name)}>
                Remove
              </Button>
            </td>
          </tr>
        ))}
      </Table>
      <PasswordDialog name={resetting} onClose={() => setResetting(null)} />
      <ConfirmDialog {...removal.dialog} title="Remove this user?" action="Remove user">
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
  const submit = useSubmit(async () => {
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
  });
  const { fields } = submit;
  const close = () => {
    setV(empty);
    submit.reset();
    onClose();
  };
  return (
    <FormDialog open={open} onClose={close} title="Add a user" formId="user-add" action="Add user" submit={submit}>
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
    </FormDialog>
  );
}

function PasswordDialog({ name, onClose }: { name: string | null; onClose: () => void }) {
  const toast = useToast();
  const qc = useQueryClient();
  const [password, setPassword] = useState('');
  const submit = useSubmit(async () => {
    if (!name) return;
    const r = await endpoints.setUserPassword(name, password);
    toast.success(`Password of ${name} set; ${r.sessionsEnded} session(s) ended`);
    await qc.invalidateQueries({ queryKey: ['users'] });
    close();
  });
  const close = () => {
    setPassword('');
    submit.reset();
    onClose();
  };
  return (
    <FormDialog
      open={name !== null}
      onClose={close}
      title={`Set the password of ${name ?? ''}`}
      formId="user-password"
      action="Set password"
      submit={submit}
    >
      <Field
        label="New password"
        type="password"
        autoComplete="new-password"
        value={password}
        error={submit.fields.password}
        onChange={(e) => setPassword(e.target.value)}
      />
    </FormDialog>
  );
}
