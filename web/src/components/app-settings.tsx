import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Save } from 'lucide-react';
import { type ReactNode, useId, useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AppSettingsView, AppView } from '../api/types.js';
import { RESTART_POLICIES, type SettingsField, settingsForm, settingsPatch } from '../lib/app-settings-form.js';
import { type FieldErrors, hasErrors } from '../lib/validation.js';
import { AppGitAccess } from './app-git-access.js';
import { AppPrivileges } from './app-privileges.js';
import { useJobLauncher } from './job-dialog.js';
import { ErrorState, QueryState } from './states.js';
import { useToast } from './toast.js';
import { Button, Card, Field, SelectField } from './ui.js';

/**
 * The settings `app update` changes: domains and the www redirect go live at once on a deployed app (a job
 * reloads Caddy); the rest is stored and applied by the next deploy, listed under "Pending".
 */
export function AppSettings({ app }: { app: AppView }) {
  const q = useQuery({
    queryKey: ['app', app.name, 'settings'],
    queryFn: ({ signal }) => endpoints.appSettings(app.name, signal),
  });
  return (
    <QueryState query={q}>
      {(s) => (
        <div className="space-y-4">
          {/* Keyed by the stored values: after a save the form starts again from what the API holds. */}
          <SettingsEditor key={JSON.stringify(settingsForm(s))} app={app} settings={s} />
          <Pending settings={s} app={app.name} />
          {s.git ? <AppGitAccess app={app.name} git={s.git} /> : null}
          {app.type !== 'image' ? <AppPrivileges key={s.privileges.join(',')} app={app.name} settings={s} /> : null}
        </div>
      )}
    </QueryState>
  );
}

function SettingsEditor({ app, settings }: { app: AppView; settings: AppSettingsView }) {
  const qc = useQueryClient();
  const toast = useToast();
  const jobs = useJobLauncher();
  const initial = settingsForm(settings);
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors<SettingsField>>({});
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const refresh = () =>
    Promise.all([qc.invalidateQueries({ queryKey: ['app', app.name] }), qc.invalidateQueries({ queryKey: ['apps'] })]);

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    const { body, errors: errs } = settingsPatch(initial, form);
    setErrors(errs);
    setFailure(null);
    if (hasErrors(errs)) return;
    if (Object.keys(body).length === 0) return toast.info('Nothing changed');
    setSaving(true);
    try {
      const r = await endpoints.updateApp(app.name, body);
      if ('jobId' in r) {
        await jobs.launch(`Update routes of ${app.name}`, async () => r, { onSucceeded: () => void refresh() });
      } else {
        toast.success(
          `Updated ${app.name}`,
          r.pending.length ? 'applied by the next deploy (see Pending)' : r.changed.join('; '),
        );
        await refresh();
      }
    } catch (err) {
      setFailure(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card title="Settings">
      <form onSubmit={save} noValidate aria-label="App settings" className="grid gap-4 sm:grid-cols-2">
        <TextArea
          label="Domains"
          name="domains"
          value={form.domains}
          onChange={set('domains')}
          error={errors.domains}
          hint="One per line, the first is primary. Applied at once when the app is deployed."
          rows={3}
        />
        <div className="space-y-4">
          <label className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              name="wwwRedirect"
              checked={form.wwwRedirect}
              onChange={(e) => setForm({ ...form, wwwRedirect: e.target.checked })}
            />
            Redirect www.&lt;domain&gt; to &lt;domain&gt;
          </label>
          <Field
            label="Container port"
            name="port"
            inputMode="numeric"
            value={form.port}
            onChange={set('port')}
            error={errors.port}
          />
        </div>
        <Field
          label="Health path"
          name="healthPath"
          value={form.healthPath}
          onChange={set('healthPath')}
          error={errors.healthPath}
        />
        <Field
          label="Health timeout (seconds)"
          name="healthTimeout"
          inputMode="numeric"
          value={form.healthTimeout}
          onChange={set('healthTimeout')}
          error={errors.healthTimeout}
        />
        <Field
          label="Stop timeout (seconds)"
          name="stopTimeout"
          inputMode="numeric"
          value={form.stopTimeout}
          onChange={set('stopTimeout')}
          error={errors.stopTimeout}
          hint="How long a stop waits for the app before SIGKILL."
        />
        <Field
          label="Drain timeout (seconds)"
          name="drainTimeout"
          inputMode="numeric"
          value={form.drainTimeout}
          onChange={set('drainTimeout')}
          error={errors.drainTimeout}
          hint="How long a deploy waits for requests in flight to the previous release (0: none)."
        />
        <Field
          label="Memory limit"
          name="memory"
          value={form.memory}
          onChange={set('memory')}
          error={errors.memory}
          placeholder="none, e.g. 512m"
        />
        <Field
          label="CPU limit"
          name="cpus"
          inputMode="decimal"
          value={form.cpus}
          onChange={set('cpus')}
          error={errors.cpus}
          placeholder="none, e.g. 0.5"
        />
        <SelectField label="Restart policy" name="restart" value={form.restart} onChange={set('restart')}>
          {[...new Set([form.restart, ...RESTART_POLICIES])].map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </SelectField>
        <Field
          label="Release command"
          name="releaseCommand"
          value={form.releaseCommand}
          onChange={set('releaseCommand')}
          error={errors.releaseCommand}
          placeholder="none, e.g. npm run migrate"
          hint="Runs once in the new release before traffic switches; a failure keeps the old release serving."
          spellCheck={false}
        />
        <Field
          label="Pre-backup hook"
          name="preBackupHook"
          value={form.preBackupHook}
          onChange={set('preBackupHook')}
          error={errors.preBackupHook}
          placeholder="none, e.g. pg_dump -U app -f /data/dump.sql app"
          hint="Runs in the app's container before a backup reads its volumes; a failure fails the backup."
          spellCheck={false}
        />
        <TextArea
          label="Volumes"
          name="volumes"
          value={form.volumes}
          onChange={set('volumes')}
          error={errors.volumes}
          hint="NAME:/path (named, kept across releases) or ./dir:/path under the app directory; :ro for read-only."
          rows={3}
        />
        <div className="flex items-end">
          <Button type="submit" variant="primary" busy={saving || jobs.busy !== null}>
            <Save aria-hidden className="size-4" /> Save settings
          </Button>
        </div>
        {failure ? (
          <div className="sm:col-span-2">
            <ErrorState error={failure} />
          </div>
        ) : null}
      </form>
      {jobs.dialog}
    </Card>
  );
}

function Pending({ settings, app }: { settings: AppSettingsView; app: string }) {
  if (settings.pending.length === 0) return null;
  return (
    <Card title="Pending until the next deploy">
      <ul aria-label="Pending changes" className="list-disc space-y-1 pl-5 font-mono text-xs">
        {settings.pending.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
      <p className="mt-2 text-xs text-zinc-600 dark:text-zinc-400">
        Deploy {app} to apply them; the current release keeps running as it is until then.
      </p>
    </Card>
  );
}

function TextArea({
  label,
  error,
  hint,
  ...area
}: React.TextareaHTMLAttributes<HTMLTextAreaElement> & {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
}) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      <textarea
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-desc`}
        spellCheck={false}
        className="block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 font-mono text-xs shadow-xs focus:border-indigo-500 focus:outline-2 focus:outline-indigo-500/40 dark:border-zinc-700 dark:bg-zinc-900 aria-[invalid=true]:border-red-500"
        {...area}
      />
      <p
        id={`${id}-desc`}
        className={`mt-1 text-xs ${error ? 'text-red-600 dark:text-red-400' : 'text-zinc-500 dark:text-zinc-400'}`}
      >
        {error ? `${label} ${error}` : hint}
      </p>
    </div>
  );
}
