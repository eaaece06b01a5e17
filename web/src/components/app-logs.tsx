import { Pause, Play, Search } from 'lucide-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { carriedError } from '../api/client.js';
import { api, endpoints } from '../api/endpoints.js';
import { type AppLogLine, filterLines, parseLogEvent } from '../lib/log-lines.js';
import { ErrorState } from './states.js';
import { Button } from './ui.js';

const MAX = 5000;

/** Live app logs over SSE: follow (auto-scroll), pause (freeze the view, keep buffering), search. */
export function AppLogs({ app }: { app: string }) {
  const [lines, setLines] = useState<AppLogLine[]>([]);
  const [paused, setPaused] = useState(false);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [state, setState] = useState<'connecting' | 'live' | 'ended' | 'error'>('connecting');
  const [error, setError] = useState<unknown>(null);
  const [frozen, setFrozen] = useState<AppLogLine[]>([]);
  const counter = useRef(0);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const ac = new AbortController();
    let last: string | null = null;
    setLines([]);
    (async () => {
      // Reconnect after a drop; the server resumes from Last-Event-ID where it can.
      for (let attempt = 0; !ac.signal.aborted && attempt < 30; attempt++) {
        setState('connecting');
        try {
          await api.sse(endpoints.appLogStreamPath(app), {
            signal: ac.signal,
            lastEventId: last,
            onEvent: (ev) => {
              if (ev.id) last = ev.id;
              if (ev.event === 'error') {
                setError(carriedError(safeJson(ev.data)?.error, 'log stream error'));
                return;
              }
              if (ev.event === 'end') return;
              const parsed = parseLogEvent(ev.data);
              if (parsed.length === 0) return;
              setState('live');
              setError(null);
              setLines((ls) => {
                const next = [...ls, ...parsed.map((p) => ({ ...p, n: counter.current++ }))];
                return next.length > MAX ? next.slice(-MAX) : next;
              });
            },
          });
          setState('ended');
        } catch (e) {
          if (ac.signal.aborted) return;
          setError(e);
          setState('error');
        }
        await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 10_000)));
      }
    })();
    return () => ac.abort();
  }, [app]);

  const view = useMemo(() => filterLines(paused ? frozen : lines, query), [paused, frozen, lines, query]);

  useEffect(() => {
    const el = box.current;
    if (el && follow && !paused && view.length >= 0) el.scrollTop = el.scrollHeight;
  }, [view, follow, paused]);

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        <div className="relative min-w-48 flex-1">
          <Search
            aria-hidden
            className="pointer-events-none absolute top-2 left-2 size-4 text-zinc-500 dark:text-zinc-400"
          />
          <label htmlFor="log-search" className="sr-only">
            Search logs
          </label>
          <input
            id="log-search"
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="Search logs"
            className="block w-full rounded-md border border-zinc-300 bg-white py-1.5 pr-2 pl-8 text-sm dark:border-zinc-700 dark:bg-zinc-900"
          />
        </div>
        <label className="flex items-center gap-1.5 text-sm">
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => setFollow(e.target.checked)}
            className="accent-indigo-600"
          />
          Follow
        </label>
        <Button
          onClick={() => {
            if (!paused) setFrozen(lines);
            setPaused(!paused);
          }}
          aria-pressed={paused}
        >
          {paused ? <Play aria-hidden className="size-4" /> : <Pause aria-hidden className="size-4" />}
          {paused ? 'Resume' : 'Pause'}
        </Button>
        <span className="text-xs text-zinc-500 dark:text-zinc-400" aria-live="polite" data-log-state={state}>
          {state === 'live' ? (paused ? `paused · ${lines.length - frozen.length} new` : 'live') : state}
        </span>
      </div>
      {error && state !== 'live' ? <ErrorState error={error} /> : null}
      <div
        ref={box}
        role="log"
        aria-label={`Logs of ${app}`}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must be reachable by keyboard to scroll it
        tabIndex={0}
        className="h-96 overflow-auto rounded-md bg-zinc-950 p-3 font-mono text-xs leading-relaxed text-zinc-200"
      >
        {view.length === 0 ? (
          <span className="text-zinc-500 dark:text-zinc-400">
            {query ? 'No lines match.' : state === 'connecting' ? 'Connecting…' : 'No log lines yet.'}
          </span>
        ) : (
          view.map((l) => (
            <div key={l.n} className={`whitespace-pre-wrap break-all ${l.stream === 'stderr' ? 'text-amber-300' : ''}`}>
              {l.text}
            </div>
          ))
        )}
      </div>
    </div>
  );
}

function safeJson(s: string): { error?: Record<string, unknown> } | null {
  try {
    return JSON.parse(s) as { error?: Record<string, unknown> };
  } catch {
    return null;
  }
}
