import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Play, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AppView, CronTaskView } from '../api/types.js';
import { formatTime } from '../lib/format.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { useJobLauncher } from './job-dialog.js';
import { Empty, QueryState } from './states.js';
import { Button, Field, SelectField, StatusBadge, Table, tdClass } from './ui.js';

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A command line typed in the dashboard runs as `sh -c LINE` (the CLI takes an argv after `--`). */
const shellCommand = (line: string) => ['sh', '-c', line];

function LastRun({ task }: { task: CronTaskView }) {
  const l = task.last;
  if (!l || l.status === 'never') return <span className="text-zinc-600 dark:text-zinc-400">never run</span>;
  if (l.status === 'unknown') return <span className="text-amber-700 dark:text-amber-300">unknown</span>;
  return (
    <span className="flex flex-wrap items-center gap-1.5">
      <StatusBadge status={l.status === 'ok' ? 'succeeded' : 'failed'} />
      {l.status === 'failed' ? <span className="text-xs">exit {l.exitCode ?? '?'}</span> : null}
      <span className="text-xs text-zinc-600 dark:text-zinc-400">
        {formatTime(l.finishedAt)}
        {l.durationMs !== null ? ` · ${(l.durationMs / 1000).toFixed(1)} s` : ''}
      </span>
    </span>
  );
}

/** Scheduled tasks of the app (`cron add/list/run/remove`) and a one-off command (`app exec` / `app run`). */
export function AppTasks({ app }: { app: AppView }) {
  const key = ['app', app.name, 'cron'];
  const q = useQuery({ queryKey: key, queryFn: ({ signal }) => endpoints.cronTasks(app.name, signal) });
  const qc = useQueryClient();
  const jobs = useJobLauncher();
  const refresh = () => qc.invalidateQueries({ queryKey: key });
  const [form, setForm] = useState({ name: '', schedule: '', command: '' });
  const [errors, setErrors] = useState<Partial<Record<keyof typeof form, string>>>({});
  const [removing, setRemoving] = useState<string | null>(null);
  const [oneOff, setOneOff] = useState({ mode: 'run' as 'exec' | 'run', command: '' });
  const deployed = app.currentRelease !== null;

  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    const errs: typeof errors = {};
    if (!NAME_RE.test(form.name)) errs.name = 'must be lowercase letters, digits and "-"';
    if (form.schedule.trim() === '') errs.schedule = 'is required, e.g. */5 * * * * or @daily';
    if (form.command.trim() === '') errs.command = 'is required';
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const jobId = await jobs.launch(`Add task ${form.name}`, () =>
      endpoints.addCronTask(app.name, {
        name: form.name,
        schedule: form.schedule.trim(),
        command: shellCommand(form.command),
      }),
    );
    if (jobId) setForm({ name: '', schedule: '', command: '' });
    await refresh();
  };

  return (
    <div className="space-y-6">
      <section aria-labelledby="tasks-heading" className="space-y-3">
        <h3 id="tasks-heading" className="text-sm font-semibold">
          Scheduled tasks
        </h3>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Each run is a one-off container of the current release (its env and volumes), fired by a systemd timer on the
          server; a redeploy moves the tasks to the new release.
        </p>
        <form
          onSubmit={add}
          noValidate
          aria-label="Add a scheduled task"
          className="grid items-start gap-2 sm:grid-cols-[1fr_1fr_2fr_auto]"
        >
          <Field
            label="Name"
            name="taskName"
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
            error={errors.name}
            placeholder="cleanup"
            autoComplete="off"
          />
          <Field
            label="Schedule (cron)"
            name="taskSchedule"
            value={form.schedule}
            onChange={(e) => setForm({ ...form, schedule: e.target.value })}
            error={errors.schedule}
            placeholder="*/15 * * * *"
            autoComplete="off"
            spellCheck={false}
          />
          <Field
            label="Command (run with sh -c)"
            name="taskCommand"
            value={form.command}
            onChange={(e) => setForm({ ...form, command: e.target.value })}
            error={errors.command}
            placeholder="./bin/cleanup --older-than 7d"
            autoComplete="off"
            spellCheck={false}
          />
          <Button type="submit" variant="primary" className="sm:mt-6" busy={jobs.busy !== null} disabled={!deployed}>
            Add task
          </Button>
        </form>
        <QueryState query={q} empty={<Empty title="No scheduled tasks" />}>
          {(tasks) => (
            <Table head={['Task', 'Schedule', 'Command', 'Last run', '']} label={`Scheduled tasks of ${app.name}`}>
              {tasks.map((t) => (
                <tr key={t.id} data-task={t.name}>
                  <td className={`${tdClass} font-medium`}>{t.name}</td>
                  <td className={`${tdClass} font-mono text-xs`}>{t.schedule}</td>
                  <td className={`${tdClass} max-w-xs font-mono text-xs break-all`}>
                    {t.command.join(' ')}
                    {t.last?.logTail.trim() ? (
                      <details className="mt-1">
                        <summary className="cursor-pointer text-zinc-600 dark:text-zinc-400">last output</summary>
                        <pre className="mt-1 max-h-40 overflow-auto whitespace-pre-wrap" data-task-log>
                          {t.last.logTail}
                        </pre>
                      </details>
                    ) : null}
                  </td>
                  <td className={tdClass} data-task-last>
                    <LastRun task={t} />
                  </td>
                  <td className={`${tdClass} text-right`}>
                    <div className="flex justify-end gap-1">
                      <Button
                        variant="ghost"
                        aria-label={`Run ${t.name} now`}
                        onClick={() =>
                          jobs.launch(`Run task ${t.name}`, () => endpoints.runCronTask(app.name, t.name), {
                            onSucceeded: () => void refresh(),
                          })
                        }
                      >
                        <Play aria-hidden className="size-4" />
                      </Button>
                      <Button variant="ghost" aria-label={`Remove ${t.name}`} onClick={() => setRemoving(t.name)}>
                        <Trash2 aria-hidden className="size-4 text-red-600 dark:text-red-400" />
                      </Button>
                    </div>
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </QueryState>
      </section>

      <section aria-labelledby="oneoff-heading" className="space-y-3">
        <h3 id="oneoff-heading" className="text-sm font-semibold">
          Run a command
        </h3>
        <form
          aria-label="Run a command"
          className="grid items-start gap-2 sm:grid-cols-[auto_2fr_auto]"
          onSubmit={(e) => {
            e.preventDefault();
            if (oneOff.command.trim() === '') return;
            void jobs.launch(`${oneOff.mode === 'run' ? 'Run' : 'Exec'} in ${app.name}`, () =>
              endpoints.execInApp(app.name, { mode: oneOff.mode, command: shellCommand(oneOff.command) }),
            );
          }}
        >
          <SelectField
            label="Where"
            name="oneOffMode"
            value={oneOff.mode}
            onChange={(e) => setOneOff({ ...oneOff, mode: e.target.value as 'exec' | 'run' })}
          >
            <option value="run">one-off container</option>
            <option value="exec">running container</option>
          </SelectField>
          <Field
            label="Command (run with sh -c)"
            name="oneOffCommand"
            value={oneOff.command}
            onChange={(e) => setOneOff({ ...oneOff, command: e.target.value })}
            placeholder="./manage.py migrate"
            autoComplete="off"
            spellCheck={false}
          />
          <Button type="submit" className="sm:mt-6" busy={jobs.busy !== null} disabled={!deployed}>
            Run
          </Button>
        </form>
        {!deployed ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">Deploy the app first: commands run in its release.</p>
        ) : null}
      </section>
      {jobs.dialog}
      <ConfirmDialog
        open={removing !== null}
        onClose={() => setRemoving(null)}
        onConfirm={() => {
          const task = removing;
          setRemoving(null);
          if (task)
            void jobs.launch(`Remove task ${task}`, () => endpoints.removeCronTask(app.name, task), {
              onSucceeded: () => void refresh(),
            });
        }}
        title={`Remove task ${removing ?? ''}`}
        name={removing ?? ''}
        action="Remove task"
      >
        Its timer and directory are removed from the server.
      </ConfirmDialog>
    </div>
  );
}
