import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Eye, EyeOff, Trash2, Upload } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AppView } from '../api/types.js';
import { formatAgo } from '../lib/format.js';
import { hasErrors, validateEnvPair } from '../lib/validation.js';
import { EnvExportButton, EnvImportButton } from './app-env-file.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { useJobLauncher } from './job-dialog.js';
import { Empty, QueryState } from './states.js';
import { useToast } from './toast.js';
import { Button, Field, Table, tdClass } from './ui.js';

const MASK = '••••••••';

/** Env vars: masked by default; revealing is one explicit request per variable and is not cached. */
export function AppEnv({ app }: { app: AppView }) {
  const q = useQuery({ queryKey: ['app', app.name, 'env'], queryFn: ({ signal }) => endpoints.env(app.name, signal) });
  const qc = useQueryClient();
  const toast = useToast();
  const jobs = useJobLauncher();
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [errors, setErrors] = useState<Partial<Record<'key' | 'value', string>>>({});
  const [saving, setSaving] = useState(false);
  const [deleting, setDeleting] = useState<string | null>(null);

  const reveal = async (k: string) => {
    if (k in revealed) {
      const { [k]: _, ...rest } = revealed;
      setRevealed(rest);
      return;
    }
    try {
      const r = await endpoints.revealEnv(app.name, k);
      setRevealed({ ...revealed, [k]: r.value });
    } catch (e) {
      toast.error(`Could not reveal ${k}`, e);
    }
  };

  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    const errs = validateEnvPair(key, value);
    setErrors(errs);
    if (hasErrors(errs)) return;
    setSaving(true);
    try {
      await endpoints.setEnv(app.name, { [key]: value });
      toast.success(`Set ${key}`, 'push or deploy to apply it on the server');
      setKey('');
      setValue('');
      setRevealed(({ [key]: _, ...rest }) => rest);
      await qc.invalidateQueries({ queryKey: ['app', app.name, 'env'] });
    } catch (err) {
      toast.error(`Could not set ${key}`, err);
    } finally {
      setSaving(false);
    }
  };

  const remove = async (k: string) => {
    setDeleting(null);
    try {
      await endpoints.deleteEnv(app.name, k);
      toast.success(`Deleted ${k}`);
      setRevealed(({ [k]: _, ...rest }) => rest);
      await qc.invalidateQueries({ queryKey: ['app', app.name, 'env'] });
    } catch (e) {
      toast.error(`Could not delete ${k}`, e);
    }
  };

  return (
    <div className="space-y-4">
      <form
        onSubmit={add}
        className="grid items-start gap-2 sm:grid-cols-[1fr_2fr_auto]"
        noValidate
        aria-label="Add a variable"
      >
        <Field
          label="Name"
          name="envKey"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          error={errors.key}
          placeholder="DATABASE_URL"
          autoComplete="off"
          spellCheck={false}
        />
        <Field
          label="Value"
          name="envValue"
          type="password"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          error={errors.value}
          autoComplete="new-password"
          spellCheck={false}
        />
        <Button type="submit" variant="primary" busy={saving} className="sm:mt-6">
          Set variable
        </Button>
      </form>
      <QueryState query={q} empty={<Empty title="No variables set" />}>
        {(list) => (
          <Table head={['Name', 'Value', 'Updated', '']} label="Environment variables">
            {list.map((v) => (
              <tr key={v.key} data-env={v.key}>
                <td className={`${tdClass} font-mono text-xs font-medium`}>{v.key}</td>
                <td className={`${tdClass} max-w-md font-mono text-xs break-all`} data-env-value>
                  {v.key in revealed ? revealed[v.key] : MASK}
                </td>
                <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>{formatAgo(v.updatedAt)}</td>
                <td className={`${tdClass} text-right`}>
                  <div className="flex justify-end gap-1">
                    <Button
                      variant="ghost"
                      onClick={() => reveal(v.key)}
                      aria-label={`${v.key in revealed ? 'Hide' : 'Reveal'} ${v.key}`}
                    >
                      {v.key in revealed ? (
                        <EyeOff aria-hidden className="size-4" />
                      ) : (
                        <Eye aria-hidden className="size-4" />
                      )}
                    </Button>
                    <Button variant="ghost" onClick={() => setDeleting(v.key)} aria-label={`Delete ${v.key}`}>
                      <Trash2 aria-hidden className="size-4 text-red-500" />
                    </Button>
                  </div>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
      <div className="flex flex-wrap items-center gap-2">
        <Button
          onClick={() => jobs.launch(`Push env of ${app.name}`, () => endpoints.pushEnv(app.name))}
          busy={jobs.busy !== null}
        >
          <Upload aria-hidden className="size-4" /> Push to server
        </Button>
        <span className="text-xs text-zinc-500 dark:text-zinc-400">
          Writes the variables to the server and restarts the app.
        </span>
        <span className="ml-auto flex gap-2">
          <EnvImportButton app={app.name} />
          <EnvExportButton app={app.name} />
        </span>
      </div>
      {jobs.dialog}
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove(deleting)}
        title={`Delete ${deleting ?? ''}`}
        name={deleting ?? ''}
        action="Delete variable"
      >
        The variable is removed from infrakt; the running app keeps it until the next push or deploy.
      </ConfirmDialog>
    </div>
  );
}
