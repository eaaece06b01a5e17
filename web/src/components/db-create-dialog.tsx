import { useQuery, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle } from 'lucide-react';
import { useState } from 'react';
import { isApiError } from '../api/client.js';
import { endpoints } from '../api/endpoints.js';
import { DB_KINDS, type DbFields, hasErrors, validateDatabaseForm } from '../lib/validation.js';
import { CopyButton } from './copy-button.js';
import { Dialog } from './dialog.js';
import { jobIdOf } from './job-dialog.js';
import { JobView } from './job-view.js';
import { ErrorState } from './states.js';
import { Button, Field, SelectField } from './ui.js';

const EMPTY: Record<DbFields, string> = { name: '', server: '', type: 'postgres', version: '' };
const DEFAULT_VERSION: Record<string, string> = {
  postgres: '16',
  mysql: '8',
  mariadb: '10.11',
  redis: '7-alpine',
  mongo: '7',
};

export function CreateDatabaseDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [v, setV] = useState(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [jobId, setJobId] = useState<string | null>(null);
  const [secret, setSecret] = useState<Record<string, string> | null>(null);
  const [claimError, setClaimError] = useState<unknown>(null);
  const servers = useQuery({
    queryKey: ['servers'],
    queryFn: ({ signal }) => endpoints.servers(signal),
    enabled: open,
  });
  const qc = useQueryClient();
  const serverValue = v.server || servers.data?.[0]?.name || '';

  const close = () => {
    // Forget the connection string: it is shown once, by design.
    setV(EMPTY);
    setErrors({});
    setSubmitError(null);
    setJobId(null);
    setSecret(null);
    setClaimError(null);
    onClose();
  };
  const set = (k: DbFields) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setV({ ...v, [k]: e.target.value });

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const values = { ...v, server: serverValue };
    const errs = validateDatabaseForm(values);
    setErrors(errs);
    if (hasErrors(errs)) return;
    setBusy(true);
    setSubmitError(null);
    try {
      const body: Record<string, string> = { name: values.name, server: values.server, type: values.type };
      if (values.version.trim()) body.version = values.version.trim();
      const res = await endpoints.createDatabase(body);
      setJobId(jobIdOf(res));
      await qc.invalidateQueries({ queryKey: ['databases'] });
    } catch (err) {
      if (isApiError(err)) setErrors(err.fieldErrors());
      setSubmitError(err);
    } finally {
      setBusy(false);
    }
  };

  // The API hands the connection strings out once, after the job succeeded; we keep them only in this dialog.
  const claim = async (id: string) => {
    try {
      setSecret(await endpoints.claimCredentials(id));
    } catch (e) {
      setClaimError(e);
    }
  };
  const created = jobId !== null;
  return (
    <Dialog
      open={open}
      onClose={close}
      title={created ? `Database ${v.name}` : 'Create a database'}
      wide={created}
      footer={
        created ? (
          <Button variant="primary" onClick={close}>
            {secret ? 'I saved it — close' : 'Close'}
          </Button>
        ) : (
          <>
            <Button onClick={close}>Cancel</Button>
            <Button type="submit" form="create-db" variant="primary" busy={busy}>
              Create database
            </Button>
          </>
        )
      }
    >
      {created ? (
        <div className="space-y-4">
          {secret ? (
            <div
              className="rounded-md border border-amber-400 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950/40"
              role="alert"
            >
              <p className="flex items-center gap-1.5 font-semibold text-amber-900 dark:text-amber-200">
                <AlertTriangle aria-hidden className="size-4" /> Save this connection string now
              </p>
              <p className="mt-1 text-amber-900/80 dark:text-amber-200/80">
                It contains the password, which infrakt does not keep. It will not be shown again — store it in a
                password manager or in an app's environment variables.
              </p>
              {Object.entries(secret).map(([label, value]) => (
                <div key={label} className="mt-2">
                  <p className="text-xs font-medium text-amber-900/80 dark:text-amber-200/80">
                    {label === 'connectionString'
                      ? 'On the server (127.0.0.1)'
                      : label === 'networkConnectionString'
                        ? 'From apps on the infrakt network'
                        : label}
                  </p>
                  <div className="mt-1 flex flex-wrap items-center gap-2">
                    <code
                      className="min-w-0 flex-1 rounded bg-white px-2 py-1.5 font-mono text-xs break-all dark:bg-zinc-950"
                      data-connection-string={label}
                    >
                      {value}
                    </code>
                    <CopyButton text={value} />
                  </div>
                </div>
              ))}
            </div>
          ) : null}
          {claimError ? <ErrorState error={claimError} /> : null}
          {jobId ? (
            <JobView
              id={jobId}
              compact
              onFinished={(s) => {
                if (s.job?.status === 'succeeded' && !secret) void claim(s.job.id);
              }}
            />
          ) : null}
        </div>
      ) : (
        <form id="create-db" onSubmit={submit} className="grid gap-3 sm:grid-cols-2" noValidate>
          <Field
            label="Name"
            name="name"
            value={v.name}
            onChange={set('name')}
            error={errors.name}
            placeholder="main-db"
          />
          <SelectField label="Server" name="server" value={serverValue} onChange={set('server')} error={errors.server}>
            {servers.data?.length ? null : (
              <option value="">{servers.isPending ? 'Loading…' : 'No servers — add one first'}</option>
            )}
            {servers.data?.map((s) => (
              <option key={s.id} value={s.name}>
                {s.name}
              </option>
            ))}
          </SelectField>
          <SelectField label="Type" name="type" value={v.type} onChange={set('type')} error={errors.type}>
            {DB_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </SelectField>
          <Field
            label="Version"
            name="version"
            value={v.version}
            onChange={set('version')}
            error={errors.version}
            placeholder={DEFAULT_VERSION[v.type]}
            hint={`Default ${DEFAULT_VERSION[v.type] ?? ''}`}
          />
          <p className="text-xs text-zinc-500 sm:col-span-2">The port is bound to 127.0.0.1 on the server only.</p>
          {submitError ? (
            <div className="sm:col-span-2">
              <ErrorState error={submitError} />
            </div>
          ) : null}
        </form>
      )}
    </Dialog>
  );
}
