import { Ban, CheckCircle2, Circle, CircleDashed, Loader2, MinusCircle, XCircle } from 'lucide-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { carriedError } from '../api/client.js';
import { endpoints } from '../api/endpoints.js';
import type { JobStep } from '../api/types.js';
import { formatDuration, formatTime } from '../lib/format.js';
import { isTerminal, type JobState } from '../lib/job-state.js';
import { useJob } from '../lib/use-job.js';
import { ErrorState, Loading } from './states.js';
import { useToast } from './toast.js';
import { Button, StatusBadge } from './ui.js';

const STEP_ICON: Record<string, { Icon: typeof Circle; cls: string }> = {
  pending: { Icon: Circle, cls: 'text-zinc-500 dark:text-zinc-400' },
  running: { Icon: Loader2, cls: 'animate-spin text-sky-500' },
  succeeded: { Icon: CheckCircle2, cls: 'text-emerald-500' },
  unchanged: { Icon: CheckCircle2, cls: 'text-zinc-500 dark:text-zinc-400' },
  skipped: { Icon: MinusCircle, cls: 'text-zinc-500 dark:text-zinc-400' },
  failed: { Icon: XCircle, cls: 'text-red-500' },
  cancelled: { Icon: Ban, cls: 'text-zinc-500 dark:text-zinc-400' },
};

function StepRow({ step, selected, onSelect }: { step: JobStep; selected: boolean; onSelect: () => void }) {
  const { Icon, cls } = STEP_ICON[step.status] ?? { Icon: CircleDashed, cls: 'text-zinc-500 dark:text-zinc-400' };
  const dur = step.startedAt ? formatDuration(step.startedAt, step.finishedAt) : '';
  return (
    <li>
      <button
        type="button"
        onClick={onSelect}
        aria-pressed={selected}
        data-step={step.name}
        data-status={step.status}
        className={`flex w-full items-start gap-2 rounded-md px-2 py-1.5 text-left text-sm hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:hover:bg-zinc-800 ${selected ? 'bg-indigo-50 dark:bg-indigo-950/50' : ''}`}
      >
        <Icon aria-hidden className={`mt-0.5 size-4 shrink-0 ${cls}`} />
        <span className="min-w-0 flex-1">
          <span className="block font-medium break-words">{step.name}</span>
          {step.detail ? (
            <span className="block text-xs text-zinc-500 dark:text-zinc-400 break-words">{step.detail}</span>
          ) : null}
        </span>
        <span className="sr-only">{step.status}</span>
        <span className="shrink-0 text-xs text-zinc-500 dark:text-zinc-400 tabular-nums">
          {step.exitCode !== null && step.exitCode !== 0 ? `exit ${step.exitCode} · ` : ''}
          {dur}
        </span>
      </button>
    </li>
  );
}

/** The live view of one job: steps as they change, its log (all or one step's), and cancel. */
export function JobView({
  id,
  onFinished,
  compact = false,
}: {
  id: string;
  onFinished?: (s: JobState) => void;
  compact?: boolean;
}) {
  const { job, logs, error, live } = useJob(id, onFinished);
  const [stepFilter, setStepFilter] = useState<number | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const toast = useToast();
  const logRef = useRef<HTMLDivElement>(null);
  const shown = useMemo(
    () => (stepFilter === null ? logs : logs.filter((l) => l.stepIdx === stepFilter)),
    [logs, stepFilter],
  );

  useEffect(() => {
    const el = logRef.current;
    if (el && shown.length >= 0) el.scrollTop = el.scrollHeight;
  }, [shown]);

  if (error) return <ErrorState error={error} />;
  if (!job) return <Loading label="Loading job…" />;

  const cancel = async () => {
    setCancelling(true);
    try {
      await endpoints.cancelJob(job.id);
      toast.info('Cancellation requested', job.target);
    } catch (e) {
      toast.error('Could not cancel the job', e);
    } finally {
      setCancelling(false);
    }
  };

  return (
    <div className="space-y-3" data-job-id={job.id} data-job-status={job.status}>
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <StatusBadge status={job.status} />
        <span className="font-medium">{job.kind}</span>
        <span className="text-zinc-500 dark:text-zinc-400">{job.target}</span>
        {live ? (
          <span className="inline-flex items-center gap-1 text-xs text-emerald-600 dark:text-emerald-400">
            <span className="size-1.5 animate-pulse rounded-full bg-current" aria-hidden /> live
          </span>
        ) : null}
        <span className="ml-auto text-xs text-zinc-500 dark:text-zinc-400">
          {formatTime(job.createdAt)}
          {job.startedAt ? ` · ${formatDuration(job.startedAt, job.finishedAt)}` : ''}
          {job.startedAt && job.servingAt ? (
            <span data-testid="job-serving"> · serving after {formatDuration(job.startedAt, job.servingAt)}</span>
          ) : null}
          {job.roundTrips != null ? (
            <span data-testid="job-round-trips">
              {' '}
              · {job.roundTrips} round trip{job.roundTrips === 1 ? '' : 's'}
            </span>
          ) : null}
        </span>
        {!isTerminal(job.status) ? (
          <Button variant="danger" onClick={cancel} busy={cancelling}>
            Cancel job
          </Button>
        ) : null}
      </div>
      {job.error ? <ErrorState error={carriedError(job.error)} /> : null}
      <div className={`grid gap-3 ${compact ? '' : 'lg:grid-cols-[minmax(14rem,1fr)_2fr]'}`}>
        <div>
          <h3 className="mb-1 text-xs font-semibold tracking-wide text-zinc-500 dark:text-zinc-400 uppercase">Steps</h3>
          {job.steps.length === 0 ? (
            <p className="text-sm text-zinc-500 dark:text-zinc-400">No steps yet.</p>
          ) : (
            <ol className="space-y-0.5" aria-label="Job steps">
              {job.steps.map((s) => (
                <StepRow
                  key={s.idx}
                  step={s}
                  selected={stepFilter === s.idx}
                  onSelect={() => setStepFilter((f) => (f === s.idx ? null : s.idx))}
                />
              ))}
            </ol>
          )}
        </div>
        <div className="min-w-0">
          <div className="mb-1 flex items-center justify-between">
            <h3 className="text-xs font-semibold tracking-wide text-zinc-500 dark:text-zinc-400 uppercase">
              Log
              {stepFilter !== null ? ` — step ${job.steps.find((s) => s.idx === stepFilter)?.name ?? stepFilter}` : ''}
            </h3>
            {stepFilter !== null ? (
              <button
                type="button"
                className="text-xs text-indigo-600 hover:underline dark:text-indigo-400"
                onClick={() => setStepFilter(null)}
              >
                Show all steps
              </button>
            ) : null}
          </div>
          <div
            ref={logRef}
            role="log"
            aria-label="Job log"
            // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must be reachable by keyboard to scroll it
            tabIndex={0}
            className="h-64 overflow-auto rounded-md bg-zinc-950 p-3 font-mono text-xs leading-relaxed whitespace-pre-wrap break-all text-zinc-200"
          >
            {shown.length === 0 ? (
              <span className="text-zinc-500 dark:text-zinc-400">
                {isTerminal(job.status) ? 'No output.' : 'Waiting for output…'}
              </span>
            ) : (
              shown.map((l) => (
                <div
                  key={l.id}
                  className={l.stream === 'stderr' ? 'text-amber-300' : l.stream === 'info' ? 'text-sky-300' : ''}
                >
                  {l.line}
                </div>
              ))
            )}
          </div>
        </div>
      </div>
    </div>
  );
}
