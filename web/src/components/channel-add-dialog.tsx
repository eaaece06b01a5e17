import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { ChannelCreated, ChannelView, NotifyChannelAddRequest } from '../api/types.js';
import { CopyButton } from './copy-button.js';
import { Dialog } from './dialog.js';
import { useSubmit } from './form-dialog.js';
import { ErrorState } from './states.js';
import { Button, Field, SelectField } from './ui.js';

type NotifyEvent = ChannelView['events'][number];
type ChannelType = ChannelView['type'];

// A Record over the API's own event union: a new event on the server fails this build until it is listed here.
const EVENT_LABELS: Record<NotifyEvent, string> = {
  'deploy.succeeded': 'Deploy succeeded',
  'deploy.failed': 'Deploy failed',
  rollback: 'Rollback',
  'health.down': 'App down',
  'health.up': 'App up again',
  'server.unreachable': 'Server unreachable',
  'server.reachable': 'Server reachable again',
  'server.disk': 'Disk above threshold',
  'server.memory': 'Memory above threshold',
  'backup.failed': 'Backup failed',
  'backup.succeeded': 'Backup succeeded',
  'approval.requested': 'Approval requested',
};
const ALL_EVENTS = Object.keys(EVENT_LABELS) as NotifyEvent[];
// The server's default too (`notify add` without --events): everything but routine backup successes.
const DEFAULT_EVENTS = ALL_EVENTS.filter((e) => e !== 'backup.succeeded');

const TYPE_LABELS: Record<ChannelType, string> = {
  webhook: 'Webhook (signed JSON)',
  slack: 'Slack incoming webhook',
  discord: 'Discord webhook',
  email: 'Email (SMTP)',
};

const EMPTY = {
  name: '',
  type: 'webhook' as ChannelType,
  url: '',
  secret: '',
  host: '',
  port: '587',
  security: 'starttls',
  user: '',
  password: '',
  from: '',
  to: '',
  ca: '',
};
type Values = typeof EMPTY;

/** The API body for what the form holds: only the fields of the chosen kind, blanks left out. */
export function channelBody(v: Values, events: NotifyEvent[]): NotifyChannelAddRequest {
  const body: NotifyChannelAddRequest = { name: v.name.trim(), type: v.type, events };
  if (v.type !== 'email') {
    body.url = v.url.trim();
    if (v.type === 'webhook' && v.secret) body.secret = v.secret;
    return body;
  }
  body.smtp = {
    host: v.host.trim(),
    port: Number(v.port),
    security: v.security as 'starttls' | 'tls' | 'none',
    from: v.from.trim(),
    to: v.to
      .split(/[,\s]+/)
      .map((s) => s.trim())
      .filter(Boolean),
    ...(v.user.trim() ? { user: v.user.trim() } : {}),
    ...(v.password ? { password: v.password } : {}),
    ...(v.ca.trim() ? { ca: v.ca } : {}),
  };
  return body;
}

/** Add a notification channel. Its secrets go to the API once; a generated signing secret is shown once. */
export function AddChannelDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [v, setV] = useState(EMPTY);
  const [events, setEvents] = useState<NotifyEvent[]>(DEFAULT_EVENTS);
  const [added, setAdded] = useState<ChannelCreated | null>(null);
  const qc = useQueryClient();
  const set = (k: keyof Values) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) =>
    setV({ ...v, [k]: e.target.value });
  const close = () => {
    setV(EMPTY);
    setEvents(DEFAULT_EVENTS);
    submit.reset();
    setAdded(null);
    onClose();
  };
  const toggle = (ev: NotifyEvent) =>
    setEvents(
      events.includes(ev) ? events.filter((x) => x !== ev) : ALL_EVENTS.filter((x) => x === ev || events.includes(x)),
    );
  const submit = useSubmit(async () => {
    setAdded(await endpoints.addNotifyChannel(channelBody(v, events)));
    await qc.invalidateQueries({ queryKey: ['notify'] });
  });
  const fieldErrors = submit.fields;
  const fe = (k: string) => fieldErrors[k] ?? fieldErrors[`smtp.${k}`];
  return (
    <Dialog
      open={open}
      onClose={close}
      title={added ? `Channel ${added.name} added` : 'Add a notification channel'}
      footer={
        added ? (
          <Button variant="primary" onClick={close}>
            Close
          </Button>
        ) : (
          <>
            <Button onClick={close}>Cancel</Button>
            <Button variant="primary" type="submit" form="channel-add" busy={submit.busy}>
              Add channel
            </Button>
          </>
        )
      }
    >
      {added ? (
        <div className="space-y-2 text-sm">
          <p>
            Sends to <code>{added.target}</code>. Use <strong>Send test</strong> in the list to check it now.
          </p>
          {added.secret ? (
            <div className="space-y-1">
              <p>
                Signing secret (shown only now; the receiver checks <code>X-Infrakt-Signature</code> with it):
              </p>
              <div className="flex items-center gap-2">
                <code data-testid="channel-secret" className="break-all font-mono text-xs">
                  {added.secret}
                </code>
                <CopyButton text={added.secret} />
              </div>
            </div>
          ) : null}
        </div>
      ) : (
        <form id="channel-add" onSubmit={submit.onSubmit} className="space-y-3">
          <Field label="Name" value={v.name} onChange={set('name')} required error={fe('name')} />
          <SelectField label="Kind" value={v.type} onChange={set('type')}>
            {(Object.keys(TYPE_LABELS) as ChannelType[]).map((t) => (
              <option key={t} value={t}>
                {TYPE_LABELS[t]}
              </option>
            ))}
          </SelectField>
          {v.type !== 'email' ? (
            <>
              <Field
                label="URL"
                type="url"
                required
                placeholder={v.type === 'webhook' ? 'https://hooks.example.com/infrakt' : 'https://…'}
                value={v.url}
                onChange={set('url')}
                error={fe('url')}
                autoComplete="off"
              />
              {v.type === 'webhook' ? (
                <Field
                  label="Signing secret (optional)"
                  type="password"
                  value={v.secret}
                  onChange={set('secret')}
                  error={fe('secret')}
                  hint="At least 16 characters; generated and shown once when left empty"
                  autoComplete="off"
                />
              ) : null}
            </>
          ) : (
            <div className="grid gap-3 sm:grid-cols-2">
              <Field label="SMTP host" required value={v.host} onChange={set('host')} error={fe('host')} />
              <Field
                label="SMTP port"
                type="number"
                min={1}
                max={65535}
                required
                value={v.port}
                onChange={set('port')}
                error={fe('port')}
              />
              <SelectField label="Security" value={v.security} onChange={set('security')}>
                <option value="starttls">STARTTLS (required)</option>
                <option value="tls">TLS (implicit, port 465)</option>
                <option value="none">None (local relay only)</option>
              </SelectField>
              <Field label="SMTP user (optional)" value={v.user} onChange={set('user')} autoComplete="off" />
              <Field
                label="SMTP password (optional)"
                type="password"
                value={v.password}
                onChange={set('password')}
                autoComplete="off"
              />
              <Field label="From" type="email" required value={v.from} onChange={set('from')} error={fe('from')} />
              <div className="sm:col-span-2">
                <Field
                  label="To"
                  required
                  placeholder="ops@example.com, oncall@example.com"
                  value={v.to}
                  onChange={set('to')}
                  error={
                    fieldErrors['smtp.to'] ?? Object.entries(fieldErrors).find(([k]) => k.startsWith('smtp.to.'))?.[1]
                  }
                  hint="Comma-separated"
                />
              </div>
              <label className="block text-sm font-medium text-zinc-700 sm:col-span-2 dark:text-zinc-300">
                CA certificate (optional, PEM: a private relay)
                <textarea
                  className="mt-1 block h-16 w-full rounded-md border border-zinc-300 bg-white p-2 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-900"
                  value={v.ca}
                  onChange={set('ca')}
                  spellCheck={false}
                />
              </label>
            </div>
          )}
          <fieldset>
            <legend className="text-sm font-medium text-zinc-700 dark:text-zinc-300">Events</legend>
            <div className="mt-1 grid gap-1 sm:grid-cols-2">
              {ALL_EVENTS.map((ev) => (
                <label key={ev} className="flex items-center gap-2 text-sm">
                  <input type="checkbox" checked={events.includes(ev)} onChange={() => toggle(ev)} />
                  {EVENT_LABELS[ev]}
                </label>
              ))}
            </div>
            {fe('events') ? <p className="mt-1 text-xs text-red-700 dark:text-red-400">{fe('events')}</p> : null}
          </fieldset>
          {submit.error ? <ErrorState error={submit.error} /> : null}
        </form>
      )}
    </Dialog>
  );
}
