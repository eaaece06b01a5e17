import type { ServerView } from '../api/types.js';
import { formatAgo } from '../lib/format.js';

type EdgeInfo = NonNullable<ServerView['edge']>;

const TONE: Record<EdgeInfo['tunnel'], string> = {
  connected: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-300',
  waiting: 'bg-amber-100 text-amber-800 dark:bg-amber-900/50 dark:text-amber-300',
  unknown: 'bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300',
};

/** Marks an edge server (a device behind NAT reached through its own reverse tunnel) and whether that tunnel is up. */
export function EdgeBadge({ edge }: { edge: ServerView['edge'] }) {
  if (!edge) return null;
  const via = edge.relay ? `relay ${edge.relay}` : 'this control host';
  const title = `edge server: tunnel to ${via} (port ${edge.tunnelPort}) ${edge.tunnel}; last seen ${
    edge.lastSeenAt ? formatAgo(edge.lastSeenAt) : 'never'
  }${edge.tunnelError ? ` — ${edge.tunnelError}` : ''}`;
  return (
    <span
      data-edge={edge.tunnel}
      title={title}
      className={`ml-1 inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ${TONE[edge.tunnel]}`}
    >
      edge · {edge.tunnel}
    </span>
  );
}
