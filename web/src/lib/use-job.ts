import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { isApiError } from '../api/client.js';
import { api, endpoints } from '../api/endpoints.js';
import { applyEvent, isTerminal, type JobState, mergeLogs } from './job-state.js';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Follows a job live: a snapshot, then its SSE stream (resumed with Last-Event-ID if the
 * connection drops before the job ends). Falls back to polling if the stream is unavailable.
 */
export function useJob(id: string | null, onFinished?: (s: JobState) => void) {
  const [state, setState] = useState<JobState>({ job: null, logs: [] });
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);
  const stateRef = useRef(state);
  stateRef.current = state;
  const finishedRef = useRef(onFinished);
  finishedRef.current = onFinished;
  const qc = useQueryClient();
  const watchedRef = useRef(false);
  const firedRef = useRef<string | null>(null);
  const status = state.job?.status;

  // Runs as soon as the end is seen (even if the view closes right after): whatever the job
  // touched (apps, servers, deployments) may have changed.
  useEffect(() => {
    if (!id || !isTerminal(status) || !watchedRef.current || firedRef.current === id) return;
    firedRef.current = id;
    finishedRef.current?.(stateRef.current);
    void qc.invalidateQueries();
  }, [id, status, qc]);

  useEffect(() => {
    if (!id) return;
    const ac = new AbortController();
    const { signal } = ac;
    setState({ job: null, logs: [] });
    setError(null);
    watchedRef.current = false;
    let first = true;
    const set = (fn: (s: JobState) => JobState) => {
      stateRef.current = fn(stateRef.current);
      setState(stateRef.current);
    };
    const refreshSnapshot = async () => {
      const job = await endpoints.job(id, signal);
      if (first) {
        // A job that was already over when opened is history, not news: no "finished" callback.
        watchedRef.current = !isTerminal(job.status);
        first = false;
      }
      set((s) => ({ ...s, job }));
      const lines = await endpoints.jobLogs(id, signal).catch(() => []);
      set((s) => ({ ...s, logs: mergeLogs(s.logs, lines) }));
    };

    (async () => {
      try {
        await refreshSnapshot();
      } catch (e) {
        if (!signal.aborted) setError(e);
        return;
      }
      let lastEventId: string | null = null;
      let streamWorks = true;
      while (!signal.aborted && !isTerminal(stateRef.current.job?.status)) {
        if (streamWorks) {
          try {
            setLive(true);
            await api.sse(endpoints.jobEventsPath(id), {
              signal,
              lastEventId,
              onEvent: (ev) => {
                if (ev.id) lastEventId = ev.id;
                let payload: unknown;
                try {
                  payload = JSON.parse(ev.data);
                } catch {
                  return;
                }
                set((s) => applyEvent(s, ev.event, payload));
              },
            });
          } catch (e) {
            if (signal.aborted) break;
            if (isApiError(e) && (e.status === 404 || e.status === 405 || e.status === 501)) streamWorks = false;
          } finally {
            setLive(false);
          }
          // The stream closes at job end; a snapshot makes sure we have the final record.
          if (!signal.aborted) await refreshSnapshot().catch(() => {});
          if (!isTerminal(stateRef.current.job?.status)) await sleep(1000, signal);
        } else {
          await sleep(1000, signal);
          await refreshSnapshot().catch(() => {});
        }
      }
    })();
    return () => ac.abort();
  }, [id]);

  return { ...state, error, live };
}
