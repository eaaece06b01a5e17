import { useQuery } from '@tanstack/react-query';
import { endpoints } from '../api/endpoints.js';
import { formatTime } from '../lib/format.js';
import { Sparkline } from './sparkline.js';
import { QueryState } from './states.js';
import { Card, StatusBadge } from './ui.js';

/** What the monitor of `infrakt serve` recorded for an app: state, uptime and a response-time chart. */
export function AppHealth({ app }: { app: string }) {
  const q = useQuery({
    queryKey: ['app', app, 'health'],
    queryFn: ({ signal }) => endpoints.appHealth(app, signal),
    refetchInterval: 15_000,
  });
  return (
    <QueryState query={q}>
      {(h) => (
        <div className="space-y-3" data-testid="app-health">
          <p className="flex flex-wrap items-center gap-2 text-sm">
            <StatusBadge status={h.state} />
            <span className="text-zinc-500 dark:text-zinc-400">
              {h.watched ? `checks ${h.url}` : 'not watched: deploy it with a domain (and keep infrakt serve running)'}
              {h.since ? ` · since ${formatTime(h.since)}` : ''}
            </span>
          </p>
          <div className="grid gap-4 sm:grid-cols-2">
            <Card>
              <p className="text-xs text-zinc-500 dark:text-zinc-400">Uptime ({h.windowHours} h)</p>
              <p className="text-2xl font-semibold tabular-nums" data-testid="uptime">
                {h.uptimePercent === null ? '—' : `${h.uptimePercent}%`}
              </p>
              <p className="text-xs text-zinc-500 dark:text-zinc-400">{h.samples.length} checks</p>
            </Card>
            <Card>
              <Sparkline
                label="Response time"
                values={h.samples.filter((s) => s.ok && s.ms !== null).map((s) => s.ms ?? 0)}
                format={(n) => `${Math.round(n)} ms`}
              />
            </Card>
          </div>
          {h.lastError ? <p className="text-sm text-red-600 dark:text-red-400">Last error: {h.lastError}</p> : null}
          <Sparkline
            label="Up (1) / down (0)"
            values={h.samples.map((s) => (s.ok ? 1 : 0))}
            max={1}
            format={(n) => (n ? 'up' : 'down')}
          />
        </div>
      )}
    </QueryState>
  );
}
