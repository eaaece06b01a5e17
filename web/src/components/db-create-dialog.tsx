import { useQueryClient } from '@tanstack/react-query';
import { AlertTriangle } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { Credentials, DatabaseCreateRequest } from '../api/types.js';
import { useForm } from '../lib/use-form.js';
import { DB_KINDS, type DbFields, validateDatabaseForm } from '../lib/validation.js';
import { CopyButton } from './copy-button.js';
import { Dialog } from './dialog.js';
import { FormError, ServerSelect, useServerChoice } from './form-parts.js';
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
  const form = useForm(EMPTY);
  const [jobId, setJobId] = useState<string | null>(null);
  const [secret, setSecret] = useState<Credentials | null>(null);
  const [claimError, setClaimError] = useState<unknown>(null);
  const { servers, server } = useServerChoice(open, form.values.server);
  const qc = useQueryClient();
  const v = form.values;

  const close = () => {
    // Forget the connection string: it is shown once, by design.
    form.reset();
    setJobId(null);
    setSecret(null);
    setClaimError(null);
    onClose();
  };

  const submit = form.onSubmit({
    values: { ...v, server },
    validate: validateDatabaseForm,
    send: async (values) => {
      // validateDatabaseForm has checked the type is one of DB_KINDS.
      const type = values.type as DatabaseCreateRequest['type'];
      const body: DatabaseCreateRequest = { name: values.name, server: values.server, type };
      if (values.version.trim()) body.version = values.version.trim();
      const res = await endpoints.createDatabase(body);
      setJobId(res.jobId);
      await qc.invalidateQueries({ queryKey: ['databases'] });
    },
  });

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
            <Button type="submit" form="create-db" variant="primary" busy={form.busy}>
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
          <Field label="Name" {...form.field('name')} placeholder="main-db" />
          <ServerSelect servers={servers} {...form.field('server')} value={server} />
          <SelectField label="Type" {...form.field('type')}>
            {DB_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </SelectField>
          <Field
            label="Version"
            {...form.field('version')}
            placeholder={DEFAULT_VERSION[v.type]}
            hint={`Default ${DEFAULT_VERSION[v.type] ?? ''}`}
          />
          <p className="text-xs text-zinc-500 dark:text-zinc-400 sm:col-span-2">
            The port is bound to 127.0.0.1 on the server only.
          </p>
          <FormError error={form.submitError} />
        </form>
      )}
    </Dialog>
  );
}
