import { ExternalLink } from 'lucide-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { carriedError } from '../api/client.js';
import type { JobAccepted } from '../api/types.js';
import type { JobState } from '../lib/job-state.js';
import { Dialog } from './dialog.js';
import { JobView } from './job-view.js';
import { useToast } from './toast.js';

/** Shows a job started by a button, live, and toasts its outcome. Closing it does not stop the job. */
export function JobDialog({
  jobId,
  title,
  onClose,
  onSucceeded,
}: {
  jobId: string | null;
  title: string;
  onClose: () => void;
  onSucceeded?: (() => void) | undefined;
}) {
  const toast = useToast();
  const finished = (s: JobState) => {
    const j = s.job;
    if (!j) return;
    if (j.status === 'succeeded') {
      toast.success(`${title}: done`, j.target);
      onSucceeded?.();
    } else if (j.status === 'cancelled') toast.info(`${title}: cancelled`, j.target);
    else toast.error(`${title}: failed`, j.error ? carriedError(j.error) : undefined);
  };
  return (
    <Dialog open={jobId !== null} onClose={onClose} title={title} wide>
      {jobId ? (
        <>
          <JobView id={jobId} onFinished={finished} compact />
          <Link
            to={`/jobs/${jobId}`}
            className="mt-3 inline-flex items-center gap-1 text-sm text-indigo-600 hover:underline dark:text-indigo-400"
          >
            Open in Jobs <ExternalLink aria-hidden className="size-3.5" />
          </Link>
        </>
      ) : null}
    </Dialog>
  );
}

/** Runs an action that answers 202 `{ jobId, job }` and opens the job's live view. */
export function useJobLauncher() {
  const [current, setCurrent] = useState<{ id: string; title: string; onSucceeded?: () => void } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const toast = useToast();
  const launch = async (
    title: string,
    action: () => Promise<JobAccepted>,
    opts: { onSucceeded?: () => void } = {},
  ): Promise<string | null> => {
    setBusy(title);
    try {
      const { jobId } = await action();
      setCurrent({ id: jobId, title, ...opts });
      return jobId;
    } catch (e) {
      toast.error(`${title} failed`, e);
      return null;
    } finally {
      setBusy(null);
    }
  };
  const dialog = (
    <JobDialog
      jobId={current?.id ?? null}
      title={current?.title ?? ''}
      onClose={() => setCurrent(null)}
      onSucceeded={current?.onSucceeded}
    />
  );
  return { launch, dialog, busy };
}
