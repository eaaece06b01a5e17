import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import type { ChannelView } from '../api/types.js';
import { AddChannelDialog } from '../components/channel-add-dialog.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Empty, QueryState } from '../components/states.js';
import { useToast } from '../components/toast.js';
import { Button, Card, PageHeader, StatusBadge, Table, tdClass } from '../components/ui.js';
import { useTypedRemove } from '../components/use-typed-remove.js';
import { formatTime } from '../lib/format.js';

/** Monitoring state of every target, notification channels (add, test, remove) and the delivery log. */
export default function AlertsPage() {
  const [adding, setAdding] = useState(false);
  const targets = useQuery({
    queryKey: ['monitoring'],
    queryFn: ({ signal }) => endpoints.monitoring(signal),
    refetchInterval: 15_000,
  });
  const channels = useQuery({
    queryKey: ['notify', 'channels'],
    queryFn: ({ signal }) => endpoints.notifyChannels(signal),
  });
  const deliveries = useQuery({
    queryKey: ['notify', 'deliveries'],
    queryFn: ({ signal }) => endpoints.notifyDeliveries(signal),
    refetchInterval: 15_000,
  });
  return (
    <>
      <PageHeader title="Monitoring & alerts" subtitle="Checked and delivered by infrakt serve" />
      <div className="space-y-5">
        <Card title="Monitored">
          <QueryState
            query={targets}
            empty={
              <Empty title="Nothing checked yet">infrakt serve checks servers and deployed apps with a domain.</Empty>
            }
          >
            {(rows) => (
              <Table
                head={['Target', 'Server', 'State', 'Since', 'Uptime (24 h)', 'Last error']}
                label="Monitored targets"
              >
                {rows.map((t) => (
                  <tr key={`${t.kind}/${t.server}/${t.name}`} data-target={t.name}>
                    <td className={tdClass}>
                      <Link
                        to={t.kind === 'app' ? `/apps/${t.name}?tab=health` : `/servers/${t.name}`}
                        className="hover:underline"
                      >
                        {t.kind === 'app' ? t.name : `server ${t.name}`}
                      </Link>
                    </td>
                    <td className={tdClass}>{t.server}</td>
                    <td className={tdClass}>
                      <StatusBadge status={t.state} />
                    </td>
                    <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>{formatTime(t.since)}</td>
                    <td className={`${tdClass} tabular-nums`}>
                      {t.uptimePercent === null ? '—' : `${t.uptimePercent}%`}
                    </td>
                    <td className={`${tdClass} text-xs text-zinc-500 dark:text-zinc-400`}>{t.lastError ?? ''}</td>
                  </tr>
                ))}
              </Table>
            )}
          </QueryState>
        </Card>
        <Card
          title="Notification channels"
          actions={
            <Button variant="primary" onClick={() => setAdding(true)}>
              Add channel
            </Button>
          }
        >
          <QueryState
            query={channels}
            empty={
              <Empty title="No channels">
                Add a webhook, Slack, Discord or email channel to be told when things break.
              </Empty>
            }
          >
            {(rows) => <Channels rows={rows} />}
          </QueryState>
        </Card>
        <Card title="Deliveries">
          <QueryState query={deliveries} empty={<Empty title="Nothing sent yet" />}>
            {(rows) => (
              <Table head={['Event', 'Channel', 'Status', 'Attempts', 'When', 'Error']} label="Notification deliveries">
                {rows.map((d) => (
                  <tr key={d.id} data-delivery={d.id}>
                    <td className={tdClass}>
                      <span className="font-mono text-xs">{d.event}</span>{' '}
                      <span className="text-zinc-500 dark:text-zinc-400">{d.text}</span>
                    </td>
                    <td className={tdClass}>{d.channel}</td>
                    <td className={tdClass}>
                      <StatusBadge status={d.status} />
                    </td>
                    <td className={`${tdClass} tabular-nums`}>{d.attempts}</td>
                    <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>
                      {formatTime(d.deliveredAt ?? d.createdAt)}
                    </td>
                    <td className={`${tdClass} text-xs text-zinc-500 dark:text-zinc-400`}>{d.lastError ?? ''}</td>
                  </tr>
                ))}
              </Table>
            )}
          </QueryState>
        </Card>
      </div>
      <AddChannelDialog open={adding} onClose={() => setAdding(false)} />
    </>
  );
}

function Channels({ rows }: { rows: ChannelView[] }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [busy, setBusy] = useState<string | null>(null);
  const removal = useTypedRemove(['notify'], endpoints.removeNotifyChannel);
  const test = async (name: string) => {
    setBusy(name);
    try {
      const r = await endpoints.testNotifyChannel(name);
      if (r.ok) toast.success(`${name} answered${r.responseCode ? ` ${r.responseCode}` : ''} in ${r.ms} ms`);
      else toast.error(`${name} failed`, new Error(r.error ?? 'no answer'));
    } catch (e) {
      toast.error(`Could not test ${name}`, e);
    } finally {
      setBusy(null);
      await qc.invalidateQueries({ queryKey: ['notify'] });
    }
  };
  return (
    <>
      <Table head={['Channel', 'Type', 'Target', 'Events', 'Last delivery', '']} label="Notification channels">
        {rows.map((ch) => (
          <tr key={ch.name} data-channel={ch.name}>
            <td className={tdClass}>{ch.name}</td>
            <td className={tdClass}>{ch.type}</td>
            <td className={`${tdClass} font-mono text-xs`}>{ch.target}</td>
            <td className={`${tdClass} text-xs`}>{ch.events.join(', ')}</td>
            <td className={tdClass}>
              {ch.lastDelivery ? (
                <span className="flex items-center gap-2">
                  <StatusBadge status={ch.lastDelivery.status} />
                  <span className="text-xs text-zinc-500 dark:text-zinc-400">{formatTime(ch.lastDelivery.at)}</span>
                </span>
              ) : (
                '—'
              )}
            </td>
            <td className={`${tdClass} space-x-2 text-right`}>
              <Button busy={busy === ch.name} onClick={() => test(ch.name)}>
                Send test
              </Button>
              <Button variant="danger" onClick={() => removal.ask(ch.name)}>
                Remove
              </Button>
            </td>
          </tr>
        ))}
      </Table>
      <ConfirmDialog {...removal.dialog} title="Remove this channel?" action="Remove">
        Its queued deliveries are dropped.
      </ConfirmDialog>
    </>
  );
}
