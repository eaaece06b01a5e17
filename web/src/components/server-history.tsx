import { useQuery } from '@tanstack/react-query';
import { endpoints } from '../api/endpoints.js';
import { formatTime } from '../lib/format.js';
import { Sparkline } from './sparkline.js';
import { QueryState } from './states.js';
import { StatusBadge } from './ui.js';

const nums = (xs: (number | null)[]) => xs.filter((v): v is number => v !== null);
const pct = (n: number) => `${n.toFixed(0)}%`;

/** The history `infrakt serve` sampled (one SSH round trip per monitor interval), kept for 24 h. */
export function ServerHistory({ server }: { server: string }) {
  const q = useQuery({
    queryKey: ['server', server, 'metrics-history'],
    queryFn: ({ signal }) => endpoints.serverMetrics(server, signal),
    refetchInterval: 30_000,
  });
  return (
    <QueryState query={q}>
      {(m) =>
        m.samples.length === 0 ? (
          <p className="text-sm text-zinc-500 dark:text-zinc-400">
            No history yet: infrakt serve samples this server every monitor interval.
          </p>
        ) : (
          <div data-testid="server-history">
            <p className="mb-2 flex flex-wrap items-center gap-2 text-sm text-zinc-500 dark:text-zinc-400">
              <StatusBadge status={m.state} />
              reachable {m.uptimePercent ?? '—'}% over {m.windowHours} h · {m.samples.length} samples · last{' '}
              {formatTime(m.checkedAt)}
              {m.alarms.disk ? ' · disk alarm' : ''}
              {m.alarms.memory ? ' · memory alarm' : ''}
            </p>
            <div className="grid gap-4 sm:grid-cols-4">
              <Sparkline label="CPU" values={nums(m.samples.map((s) => s.cpuPercent))} max={100} format={pct} />
              <Sparkline label="Memory" values={nums(m.samples.map((s) => s.memPercent))} max={100} format={pct} />
              <Sparkline label="Disk" values={nums(m.samples.map((s) => s.diskPercent))} max={100} format={pct} />
              <Sparkline
                label="Containers"
                values={nums(m.samples.map((s) => s.containers))}
                format={(n) => n.toFixed(0)}
              />
            </div>
          </div>
        )
      }
    </QueryState>
  );
}
