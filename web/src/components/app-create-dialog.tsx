import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { isApiError } from '../api/client.js';
import { endpoints } from '../api/endpoints.js';
import {
  APP_FIELDS_BY_KIND,
  APP_KINDS,
  type AppFields,
  type AppKind,
  appCreateBody,
  hasErrors,
  validateAppForm,
} from '../lib/validation.js';
import { Dialog } from './dialog.js';
import { ErrorState } from './states.js';
import { useToast } from './toast.js';
import { Button, Field, SelectField } from './ui.js';

const EMPTY: Record<AppFields, string> = {
  name: '',
  server: '',
  domain: '',
  port: '3000',
  image: '',
  git: '',
  branch: 'main',
};
const KIND_LABEL: Record<AppKind, string> = {
  image: 'Docker image',
  git: 'Git repository',
  compose: 'Compose (own file)',
};

export function CreateAppDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated?: (name: string) => void;
}) {
  const [kind, setKind] = useState<AppKind>('image');
  const [v, setV] = useState(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const servers = useQuery({
    queryKey: ['servers'],
    queryFn: ({ signal }) => endpoints.servers(signal),
    enabled: open,
  });
  const qc = useQueryClient();
  const toast = useToast();
  const shown = new Set(APP_FIELDS_BY_KIND[kind]);
  const serverValue = v.server || servers.data?.[0]?.name || '';

  const close = () => {
    setV(EMPTY);
    setErrors({});
    setSubmitError(null);
    onClose();
  };
  const set = (k: AppFields) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setV({ ...v, [k]: e.target.value });

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const values = { ...v, server: serverValue };
    const errs = validateAppForm(kind, values);
    setErrors(errs);
    if (hasErrors(errs)) return;
    setBusy(true);
    setSubmitError(null);
    try {
      await endpoints.createApp(appCreateBody(kind, values));
      toast.success(`App ${values.name} created`, 'deploy it to start it');
      await qc.invalidateQueries({ queryKey: ['apps'] });
      onCreated?.(values.name);
      close();
    } catch (err) {
      if (isApiError(err)) setErrors(err.fieldErrors());
      setSubmitError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open={open}
      onClose={close}
      title="Create an app"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form="create-app" variant="primary" busy={busy}>
            Create app
          </Button>
        </>
      }
    >
      <form id="create-app" onSubmit={submit} className="grid gap-3 sm:grid-cols-2" noValidate>
        <fieldset className="sm:col-span-2">
          <legend className="mb-1 text-sm font-medium text-zinc-700 dark:text-zinc-300">Source</legend>
          <div className="flex flex-wrap gap-2">
            {APP_KINDS.map((k) => (
              <label
                key={k}
                className={`flex cursor-pointer items-center gap-1.5 rounded-md border px-2.5 py-1.5 text-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500 ${kind === k ? 'border-indigo-500 bg-indigo-50 dark:bg-indigo-950/50' : 'border-zinc-300 dark:border-zinc-700'}`}
              >
                <input
                  type="radio"
                  name="kind"
                  value={k}
                  checked={kind === k}
                  onChange={() => setKind(k)}
                  className="accent-indigo-600"
                />
                {KIND_LABEL[k]}
              </label>
            ))}
          </div>
        </fieldset>
        <Field label="Name" name="name" value={v.name} onChange={set('name')} error={errors.name} placeholder="api" />
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
        {shown.has('image') ? (
          <Field
            label="Image"
            name="image"
            value={v.image}
            onChange={set('image')}
            error={errors.image}
            placeholder="nginx:alpine"
            className="sm:col-span-2"
          />
        ) : null}
        {shown.has('git') ? (
          <>
            <Field
              label="Repository"
              name="git"
              value={v.git}
              onChange={set('git')}
              error={errors.git}
              placeholder="https://github.com/org/app.git"
              className="sm:col-span-2"
            />
            <Field label="Branch" name="branch" value={v.branch} onChange={set('branch')} error={errors.branch} />
          </>
        ) : null}
        <Field
          label="Domain"
          name="domain"
          value={v.domain}
          onChange={set('domain')}
          error={errors.domain}
          placeholder="app.example.com"
          hint="Optional: Caddy routes it and gets a certificate"
        />
        <Field
          label="Container port"
          name="port"
          inputMode="numeric"
          value={v.port}
          onChange={set('port')}
          error={errors.port}
        />
        {kind === 'compose' ? (
          <p className="text-sm text-zinc-500 sm:col-span-2">
            A compose app deploys the docker-compose.yml you upload to the server's app directory.
          </p>
        ) : null}
        {submitError ? (
          <div className="sm:col-span-2">
            <ErrorState error={submitError} />
          </div>
        ) : null}
      </form>
    </Dialog>
  );
}
