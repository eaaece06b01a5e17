import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import type { CatalogStackView } from '../api/types.js';
import { CatalogAppOutputs } from './catalog-app-outputs.js';
import { Dialog } from './dialog.js';
import { ServerSelect, useServerChoice } from './form-parts.js';
import { useJobLauncher } from './job-dialog.js';
import { Empty, QueryState } from './states.js';
import { Button, Card, Field } from './ui.js';

/** Stacks: several entries installed in order with shared inputs (the API validates all of them first). */
export function CatalogStacks() {
  const q = useQuery({ queryKey: ['catalog-stacks'], queryFn: ({ signal }) => endpoints.catalogStacks(signal) });
  const [open, setOpen] = useState<CatalogStackView | null>(null);
  const [installed, setInstalled] = useState<{ stack: string; apps: string[] } | null>(null);
  const jobs = useJobLauncher();
  return (
    <Card title="Stacks" className="mt-6">
      <QueryState query={q} empty={<Empty title="No stacks" />}>
        {(stacks) => (
          <ul className="divide-y divide-zinc-200 dark:divide-zinc-800" aria-label="Catalog stacks">
            {stacks.map((s) => (
              <li key={s.id} data-stack={s.id} className="flex flex-wrap items-center gap-3 py-2">
                <span className="min-w-0 flex-1">
                  <span className="block font-medium">{s.name}</span>
                  <span className="block text-xs text-zinc-500 dark:text-zinc-400">
                    {s.description} · {s.entries.map((e) => e.name).join(', ')}
                  </span>
                </span>
                <Button onClick={() => setOpen(s)}>Install stack</Button>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
      {open ? (
        <StackDialog
          stack={open}
          onClose={() => setOpen(null)}
          onStarted={(launch) => {
            setOpen(null);
            setInstalled(null);
            launch(jobs, setInstalled);
          }}
        />
      ) : null}
      {installed ? (
        <section className="mt-4 space-y-3" data-stack-installed={installed.stack} aria-label="Installed stack outputs">
          <h3 className="text-sm font-semibold">Stack {installed.stack} installed</h3>
          {installed.apps.map((a) => (
            <div key={a} className="rounded-md border border-zinc-200 p-3 dark:border-zinc-800">
              <Link to={`/apps/${a}`} className="text-sm font-medium hover:underline">
                {a}
              </Link>
              <div className="mt-1.5">
                <CatalogAppOutputs app={a} />
              </div>
            </div>
          ))}
        </section>
      ) : null}
      {jobs.dialog}
    </Card>
  );
}

function StackDialog({
  stack,
  onClose,
  onStarted,
}: {
  stack: CatalogStackView;
  onClose: () => void;
  onStarted: (
    launch: (
      jobs: ReturnType<typeof useJobLauncher>,
      done: (installed: { stack: string; apps: string[] }) => void,
    ) => void,
  ) => void;
}) {
  const [picked, setPicked] = useState('');
  const { servers, server } = useServerChoice(true, picked);
  const [values, setValues] = useState<Record<string, string>>({});
  const [prefix, setPrefix] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    for (const i of stack.inputs) if (i.required && !values[i.name]?.trim()) errs[i.name] = 'is required';
    if (!server) errs.server = 'is required';
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const body = {
      server,
      ...(prefix ? { prefix } : {}),
      values: Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== '')),
    };
    // Once the stack job succeeded, each entry's outputs are shown (secrets on request) under the stacks list.
    const apps = stack.entries.map((en) => `${prefix}${en.name}`);
    onStarted((jobs, done) =>
      jobs.launch(`Stack ${stack.id} on ${server}`, () => endpoints.installStack(stack.id, body), {
        onSucceeded: () => done({ stack: stack.id, apps }),
      }),
    );
  };
  return (
    <Dialog
      open
      onClose={onClose}
      title={`Install stack ${stack.name}`}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="stack-form" data-install-stack>
            Install {stack.entries.length} entries
          </Button>
        </>
      }
    >
      <form id="stack-form" onSubmit={submit} noValidate className="space-y-3">
        <p className="text-sm">
          In order: {stack.entries.map((e) => `${e.entry} as ${e.name}`).join(' → ')}. The first failure stops the rest;
          entries already installed are skipped.
        </p>
        <ServerSelect
          servers={servers}
          value={server}
          onChange={(e) => setPicked(e.target.value)}
          error={errors.server}
        />
        {stack.inputs.map((i) => (
          <Field
            key={i.name}
            label={i.label}
            data-stack-input={i.name}
            type={i.type === 'password' ? 'password' : 'text'}
            required={i.required}
            value={values[i.name] ?? ''}
            error={errors[i.name]}
            onChange={(e) => setValues({ ...values, [i.name]: e.target.value })}
          />
        ))}
        <Field label="App name prefix" placeholder="ops-" value={prefix} onChange={(e) => setPrefix(e.target.value)} />
      </form>
    </Dialog>
  );
}
