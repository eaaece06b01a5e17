import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import { useForm } from '../lib/use-form.js';
import {
  APP_FIELDS_BY_KIND,
  APP_KINDS,
  type AppFields,
  type AppKind,
  appCreateBody,
  validateAppForm,
} from '../lib/validation.js';
import { Dialog } from './dialog.js';
import { FormError, ServerSelect, useServerChoice } from './form-parts.js';
import { useToast } from './toast.js';
import { Button, Field } from './ui.js';

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
  const form = useForm(EMPTY);
  const { servers, server } = useServerChoice(open, form.values.server);
  const qc = useQueryClient();
  const toast = useToast();
  const shown = new Set(APP_FIELDS_BY_KIND[kind]);

  const close = () => {
    form.reset();
    onClose();
  };

  const submit = form.onSubmit({
    values: { ...form.values, server },
    validate: (values) => validateAppForm(kind, values),
    send: async (values) => {
      await endpoints.createApp(appCreateBody(kind, values));
      toast.success(`App ${values.name} created`, 'deploy it to start it');
      await qc.invalidateQueries({ queryKey: ['apps'] });
      onCreated?.(values.name);
      close();
    },
  });

  return (
    <Dialog
      open={open}
      onClose={close}
      title="Create an app"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form="create-app" variant="primary" busy={form.busy}>
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
        <Field label="Name" {...form.field('name')} placeholder="api" />
        <ServerSelect servers={servers} {...form.field('server')} value={server} />
        {shown.has('image') ? (
          <Field label="Image" {...form.field('image')} placeholder="nginx:alpine" className="sm:col-span-2" />
        ) : null}
        {shown.has('git') ? (
          <>
            <Field
              label="Repository"
              {...form.field('git')}
              placeholder="https://github.com/org/app.git"
              className="sm:col-span-2"
            />
            <Field label="Branch" {...form.field('branch')} />
          </>
        ) : null}
        <Field
          label="Domain"
          {...form.field('domain')}
          placeholder="app.example.com"
          hint="Optional: Caddy routes it and gets a certificate"
        />
        <Field label="Container port" {...form.field('port')} inputMode="numeric" />
        {kind === 'compose' ? (
          <p className="text-sm text-zinc-500 dark:text-zinc-400 sm:col-span-2">
            A compose app deploys the docker-compose.yml you upload to the server's app directory.
          </p>
        ) : null}
        <FormError error={form.submitError} />
      </form>
    </Dialog>
  );
}
