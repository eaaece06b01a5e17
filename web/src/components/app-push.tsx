import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Eye, RefreshCw } from 'lucide-react';
import { useState } from 'react';
import { isApiError } from '../api/client.js';
import { endpoints } from '../api/endpoints.js';
import type { AppView, WebhookView } from '../api/types.js';
import { formatTime } from '../lib/format.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { CopyButton } from './copy-button.js';
import { Empty, QueryState } from './states.js';
import { useToast } from './toast.js';
import { Button, Card, StatusBadge, Table, tdClass } from './ui.js';

const short = (sha: string | null) => (sha ? sha.slice(0, 12) : '—');

/** Push to deploy of a git app: the webhook (URL, secret on request), its delivery log, previews, polling. */
export function AppPush({ app }: { app: AppView }) {
  if (!app.git) {
    return (
      <p className="text-sm text-zinc-500 dark:text-zinc-400">
        Webhooks and previews are for git apps. Image apps can watch their tag: infrakt app update {app.name}{' '}
        --auto-deploy poll.
      </p>
    );
  }
  return (
    <div className="space-y-5">
      <WebhookCard app={app.name} />
      <AutoDeployCard app={app.name} />
      <Deliveries app={app.name} />
      <Previews app={app.name} />
    </div>
  );
}

function WebhookCard({ app }: { app: string }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [shown, setShown] = useState<WebhookView | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirmRotate, setConfirmRotate] = useState(false);
  const q = useQuery({
    queryKey: ['app', app, 'webhook'],
    queryFn: ({ signal }) =>
      endpoints.webhook(app, signal).catch((e) => (isApiError(e) && e.status === 404 ? null : Promise.reject(e))),
  });
  const act = async (what: string, fn: () => Promise<WebhookView>) => {
    setBusy(what);
    try {
      setShown(await fn());
      await qc.invalidateQueries({ queryKey: ['app', app, 'webhook'] });
    } catch (e) {
      toast.error(`Could not ${what} the webhook`, e);
    } finally {
      setBusy(null);
    }
  };
  const url = (path: string) => `${window.location.origin}${path}`;
  return (
    <Card>
      <h3 className="mb-2 text-sm font-semibold">Webhook</h3>
      <QueryState query={q}>
        {(hook) =>
          hook ? (
            <div className="space-y-2 text-sm" data-testid="webhook">
              <p className="text-zinc-500 dark:text-zinc-400">
                Add this URL to GitHub, GitLab, Gitea or Forgejo (content type JSON) with the secret below. Pushes to{' '}
                <span className="font-mono">{hook.branch}</span> deploy the pushed commit
                {hook.previews ? '; pull requests get previews' : ''}.
              </p>
              <div className="flex flex-wrap items-center gap-2">
                <code
                  className="rounded bg-zinc-100 px-2 py-1 text-xs break-all dark:bg-zinc-800"
                  data-testid="webhook-url"
                >
                  {url(hook.path)}
                </code>
                <CopyButton text={url(hook.path)} label="Copy URL" />
              </div>
              <div className="flex flex-wrap items-center gap-2">
                <span className="text-zinc-500 dark:text-zinc-400">Secret</span>
                {shown?.secret ? (
                  <>
                    <code
                      className="rounded bg-zinc-100 px-2 py-1 font-mono text-xs dark:bg-zinc-800"
                      data-testid="webhook-secret"
                    >
                      {shown.secret}
                    </code>
                    <CopyButton text={shown.secret} label="Copy secret" />
                  </>
                ) : (
                  <Button busy={busy === 'reveal'} onClick={() => act('reveal', () => endpoints.revealWebhook(app))}>
                    <Eye aria-hidden className="size-4" /> Reveal secret
                  </Button>
                )}
                <Button busy={busy === 'rotate'} onClick={() => setConfirmRotate(true)}>
                  <RefreshCw aria-hidden className="size-4" /> Rotate
                </Button>
              </div>
              <p className="text-xs text-zinc-500 dark:text-zinc-400">
                Created {formatTime(hook.createdAt)}
                {hook.rotatedAt ? ` · rotated ${formatTime(hook.rotatedAt)}` : ''}
              </p>
              <ConfirmDialog
                open={confirmRotate}
                title="Rotate the webhook secret?"
                name={app}
                action="Rotate"
                busy={busy === 'rotate'}
                onClose={() => setConfirmRotate(false)}
                onConfirm={async () => {
                  await act('rotate', () => endpoints.rotateWebhook(app));
                  setConfirmRotate(false);
                }}
              >
                Deliveries signed with the old secret are refused from now on: update it at your git host.
              </ConfirmDialog>
            </div>
          ) : (
            <div className="flex flex-wrap items-center gap-3 text-sm">
              <span className="text-zinc-500 dark:text-zinc-400">No webhook: pushes do not deploy this app.</span>
              <Button
                variant="primary"
                busy={busy === 'enable'}
                onClick={() => act('enable', () => endpoints.enableWebhook(app))}
              >
                Enable push to deploy
              </Button>
            </div>
          )
        }
      </QueryState>
    </Card>
  );
}

function AutoDeployCard({ app }: { app: string }) {
  const q = useQuery({
    queryKey: ['app', app, 'auto-deploy'],
    queryFn: ({ signal }) => endpoints.autoDeploy(app, signal),
  });
  return (
    <QueryState query={q}>
      {(a) => (
        <p className="text-sm text-zinc-500 dark:text-zinc-400" data-testid="auto-deploy">
          Polling:{' '}
          {a.mode === 'poll'
            ? `every ${a.intervalSeconds}s (${a.watches}); last seen ${short(a.lastSeen)} ${a.lastCheckedAt ? `at ${formatTime(a.lastCheckedAt)}` : ''}${a.lastError ? ` — ${a.lastError}` : ''}`
            : `off (infrakt app update ${app} --auto-deploy poll)`}
        </p>
      )}
    </QueryState>
  );
}

function Deliveries({ app }: { app: string }) {
  const q = useQuery({
    queryKey: ['app', app, 'webhook-deliveries'],
    queryFn: ({ signal }) => endpoints.webhookDeliveries(app, signal),
    refetchInterval: 10_000,
  });
  return (
    <section>
      <h3 className="mb-2 text-sm font-semibold">Deliveries</h3>
      <QueryState query={q} empty={<Empty title="No deliveries received yet" />}>
        {(rows) => (
          <Table
            head={['Received', 'Event', 'Ref', 'Commit', 'Outcome', 'Deploy', 'Reason']}
            label={`Webhook deliveries of ${app}`}
          >
            {rows.map((d) => (
              <tr key={d.id} data-outcome={d.outcome}>
                <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>{formatTime(d.receivedAt)}</td>
                <td className={tdClass}>
                  {d.provider} {d.event ?? ''}
                  {d.pr ? ` #${d.pr}` : ''}
                </td>
                <td className={`${tdClass} font-mono text-xs`}>{d.ref ?? '—'}</td>
                <td className={`${tdClass} font-mono text-xs`}>{short(d.commit)}</td>
                <td className={tdClass}>
                  <StatusBadge status={d.outcome} />
                </td>
                <td className={tdClass}>
                  {d.jobId ? (
                    <a href={`/jobs/${d.jobId}`} className="hover:underline">
                      <StatusBadge status={d.jobStatus ?? 'queued'} />
                    </a>
                  ) : (
                    '—'
                  )}
                </td>
                <td className={`${tdClass} text-xs text-zinc-500 dark:text-zinc-400`}>{d.reason ?? ''}</td>
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
    </section>
  );
}

function Previews({ app }: { app: string }) {
  const settings = useQuery({
    queryKey: ['app', app, 'preview-settings'],
    queryFn: ({ signal }) => endpoints.previewSettings(app, signal),
  });
  const q = useQuery({
    queryKey: ['app', app, 'previews'],
    queryFn: ({ signal }) => endpoints.previews(app, signal),
    refetchInterval: 10_000,
  });
  const off = settings.data && !settings.data.enabled;
  return (
    <section>
      <h3 className="mb-2 text-sm font-semibold">Previews</h3>
      {off ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">
          Previews are off (infrakt app previews {app} --enable --domain …).
        </p>
      ) : (
        <QueryState query={q} empty={<Empty title="No open pull request has a preview" />}>
          {(rows) => (
            <Table head={['PR', 'App', 'URL', 'Commit', 'Status', 'Updated']} label={`Previews of ${app}`}>
              {rows.map((p) => (
                <tr key={p.pr} data-preview={p.pr}>
                  <td className={tdClass}>#{p.pr}</td>
                  <td className={tdClass}>{p.app ?? '—'}</td>
                  <td className={`${tdClass} font-mono text-xs`}>{p.domain}</td>
                  <td className={`${tdClass} font-mono text-xs`}>{short(p.commit)}</td>
                  <td className={tdClass}>
                    <StatusBadge status={p.status} />
                  </td>
                  <td className={`${tdClass} text-zinc-500 dark:text-zinc-400`}>{formatTime(p.updatedAt)}</td>
                </tr>
              ))}
            </Table>
          )}
        </QueryState>
      )}
    </section>
  );
}
