import { useQueryClient } from '@tanstack/react-query';
import { Download } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { EdgeServerAdded, EdgeServerAddRequest } from '../api/types.js';
import { useForm } from '../lib/use-form.js';
import { type EdgeServerFields, validateEdgeServerForm } from '../lib/validation.js';
import { CopyButton } from './copy-button.js';
import { Dialog } from './dialog.js';
import { EdgeBadge } from './edge-badge.js';
import { FormError } from './form-parts.js';
import { useToast } from './toast.js';
import { Button, Field } from './ui.js';

const EMPTY: Record<EdgeServerFields, string> = {
  name: '',
  relay: '',
  user: 'root',
  devicePort: '22',
  keyPath: '',
  root: '/opt/infrakt',
};

/** A link that saves the script as a file (a Blob URL, released when the dialog closes). */
function DownloadScript({ name, script }: { name: string; script: string }) {
  const url = useMemo(() => URL.createObjectURL(new Blob([script], { type: 'text/x-shellscript' })), [script]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <a
      href={url}
      download={`infrakt-edge-${name}.sh`}
      className="inline-flex items-center gap-1.5 rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm font-medium text-zinc-800 shadow-xs hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800"
    >
      <Download aria-hidden className="size-4" /> Download
    </a>
  );
}

/**
 * Add an edge server (a device behind NAT that dials out through a reverse SSH tunnel). The API returns its
 * bootstrap script once, with the device's private keys in it: shown here to copy or download, never fetched again.
 */
export function AddEdgeServerDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const form = useForm(EMPTY);
  const [added, setAdded] = useState<EdgeServerAdded | null>(null);
  const qc = useQueryClient();
  const toast = useToast();

  const close = () => {
    if (added) toast.success(`Edge server ${added.server.name} added`, 'it shows connected once the device dials in');
    form.reset();
    setAdded(null);
    onClose();
  };

  const submit = form.onSubmit({
    validate: validateEdgeServerForm,
    send: async (v) => {
      const body: EdgeServerAddRequest = { name: v.name.trim(), devicePort: Number(v.devicePort || 22) };
      for (const k of ['relay', 'user', 'keyPath', 'root'] as const) if (v[k].trim()) body[k] = v[k].trim();
      setAdded(await endpoints.addEdgeServer(body));
      await qc.invalidateQueries({ queryKey: ['servers'] });
    },
  });

  let body: React.ReactNode;
  let footer: React.ReactNode;
  if (!added) {
    body = (
      <form id="add-edge-server" onSubmit={submit} className="grid gap-3 sm:grid-cols-2" noValidate>
        <p className="text-sm text-zinc-600 sm:col-span-2 dark:text-zinc-400">
          For a device that cannot be reached from outside (behind NAT): it dials out to this control host, or to a
          relay, and infrakt reaches its sshd back through that tunnel. The control host must be set up first with{' '}
          <code>infrakt edge setup</code>.
        </p>
        <Field label="Name" {...form.field('name')} placeholder="pi-kitchen" />
        <Field
          label="Relay"
          {...form.field('relay')}
          placeholder="(none: this control host)"
          hint="Optional: the relay it meets infrakt at (infrakt edge relay add)"
        />
        <Field label="SSH user on the device" {...form.field('user')} />
        <Field label="Device SSH port" {...form.field('devicePort')} inputMode="numeric" />
        <Field
          label="Private key path"
          {...form.field('keyPath')}
          hint="Optional: a key file in $INFRAKT_HOME/keys/; the script authorises its public half on the device"
          className="sm:col-span-2"
        />
        <Field label="Remote root" {...form.field('root')} className="sm:col-span-2" />
        <FormError error={form.submitError} />
      </form>
    );
    footer = (
      <>
        <Button onClick={close}>Cancel</Button>
        <Button type="submit" form="add-edge-server" variant="primary" busy={form.busy}>
          Add edge server
        </Button>
      </>
    );
  } else {
    const s = added.server;
    body = (
      <div className="space-y-3 text-sm" data-testid="edge-bootstrap">
        <p className="flex flex-wrap items-center gap-2">
          <span>
            Registered <strong>{s.name}</strong>: tunnel port {added.tunnelPort}, host key{' '}
            <code className="font-mono text-xs break-all">{added.hostKeyFingerprint}</code> pinned
          </span>
          <EdgeBadge edge={s.edge} />
        </p>
        <p className="rounded-md border border-amber-300 bg-amber-50 p-3 dark:border-amber-800 dark:bg-amber-950/40">
          Copy this script to the device and run it once as root (<code>sudo sh infrakt-edge-{s.name}.sh</code>), then
          delete it. It holds the device's private keys and is shown only now: infrakt does not keep it.
          {added.loginKeyIncluded ? null : (
            <>
              {' '}
              No public key of infrakt's login was found: authorise one for <code>{s.user}</code> on the device
              yourself.
            </>
          )}
        </p>
        <textarea
          readOnly
          aria-label={`Bootstrap script for ${s.name}`}
          value={added.bootstrap}
          rows={12}
          spellCheck={false}
          className="block w-full rounded-md border border-zinc-300 bg-zinc-50 p-2 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-950"
        />
        <div className="flex flex-wrap gap-2">
          <CopyButton text={added.bootstrap} label="Copy script" />
          <DownloadScript name={s.name} script={added.bootstrap} />
        </div>
      </div>
    );
    footer = (
      <Button variant="primary" data-autofocus onClick={close}>
        Done
      </Button>
    );
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title={added ? 'Bootstrap the device' : 'Add an edge server'}
      footer={footer}
      wide
    >
      {body}
    </Dialog>
  );
}
