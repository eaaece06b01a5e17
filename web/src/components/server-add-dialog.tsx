import { useQueryClient } from '@tanstack/react-query';
import { ShieldCheck } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { ServerAddRequest, ServerView } from '../api/types.js';
import { useForm } from '../lib/use-form.js';
import { checkPort, type FieldErrors, type ServerFields, validateServerForm } from '../lib/validation.js';
import { Dialog } from './dialog.js';
import { FormError } from './form-parts.js';
import { ErrorState } from './states.js';
import { useToast } from './toast.js';
import { Button, Field, SelectField, StatusBadge } from './ui.js';

type ProxyFields = 'proxyTls' | 'proxyAdmin' | 'proxyHttpPort' | 'proxyHttpsPort';
type ProxyTls = NonNullable<NonNullable<ServerAddRequest['proxy']>['tls']>;

const EMPTY: Record<ServerFields | ProxyFields, string> = {
  name: '',
  host: '',
  user: 'root',
  port: '22',
  keyPath: '',
  provider: '',
  root: '/opt/infrakt',
  fingerprint: '',
  proxyTls: 'auto',
  proxyAdmin: 'localhost:2019',
  proxyHttpPort: '80',
  proxyHttpsPort: '443',
};

function validate(v: Record<ServerFields | ProxyFields, string>): FieldErrors {
  const errs: FieldErrors = { ...validateServerForm(v) };
  for (const k of ['proxyHttpPort', 'proxyHttpsPort'] as const) {
    const m = checkPort(v[k]);
    if (m) errs[k] = m;
  }
  return errs;
}

type Stage = { kind: 'form' } | { kind: 'confirm'; server: ServerView };

/** Add a server, then show the host key it presented so the user can compare it before trusting it. */
export function AddServerDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const form = useForm(EMPTY);
  const [stage, setStage] = useState<Stage>({ kind: 'form' });
  const qc = useQueryClient();
  const toast = useToast();

  const close = () => {
    form.reset();
    setStage({ kind: 'form' });
    onClose();
  };

  const submit = form.onSubmit({
    validate,
    send: async (v) => {
      const body: ServerAddRequest = { name: v.name, host: v.host.trim(), port: Number(v.port || 22) };
      for (const k of ['user', 'keyPath', 'provider', 'root', 'fingerprint'] as const)
        if (v[k].trim()) body[k] = v[k].trim();
      body.proxy = {
        tls: v.proxyTls as ProxyTls, // one of the select's options
        httpPort: Number(v.proxyHttpPort),
        httpsPort: Number(v.proxyHttpsPort),
        adminAddress: v.proxyAdmin,
      };
      const registered = await endpoints.addServer(body);
      await qc.invalidateQueries({ queryKey: ['servers'] });
      // Registering only records the server; a connection test pins (or checks) its host key.
      try {
        await endpoints.testServer(v.name);
        setStage({ kind: 'confirm', server: await endpoints.server(v.name) });
        await qc.invalidateQueries({ queryKey: ['servers'] });
      } catch (err) {
        toast.error(`Connection test of ${v.name} failed`, err);
        setStage({ kind: 'confirm', server: registered });
      }
    },
  });

  const reject = async (server: ServerView) => {
    try {
      await endpoints.removeServer(server.name, true);
      toast.info(`Removed ${server.name}`, 'the host key was not trusted');
      await qc.invalidateQueries({ queryKey: ['servers'] });
      close();
    } catch (e) {
      toast.error('Could not remove the server', e);
    }
  };

  let body: React.ReactNode;
  let footer: React.ReactNode;
  if (stage.kind === 'form') {
    body = (
      <form id="add-server" onSubmit={submit} className="grid gap-3 sm:grid-cols-2" noValidate>
        <Field label="Name" {...form.field('name')} placeholder="web-1" />
        <Field label="Host" {...form.field('host')} placeholder="203.0.113.10" />
        <Field label="SSH user" {...form.field('user')} />
        <Field label="SSH port" {...form.field('port')} inputMode="numeric" />
        <Field
          label="Private key path"
          {...form.field('keyPath')}
          hint="A key file in $INFRAKT_HOME/keys/ on the machine running infrakt (its name is enough); empty uses ssh-agent"
          className="sm:col-span-2"
        />
        <Field label="Provider" {...form.field('provider')} placeholder="hetzner" />
        <Field label="Remote root" {...form.field('root')} />
        <Field
          label="Expected host key fingerprint"
          {...form.field('fingerprint')}
          hint="Optional: SHA256:… from ssh-keygen -lf; anything else is refused"
          className="sm:col-span-2"
        />
        <details className="sm:col-span-2">
          <summary className="cursor-pointer text-sm font-medium text-zinc-700 dark:text-zinc-300">
            Proxy settings
          </summary>
          <div className="mt-3 grid gap-3 sm:grid-cols-2">
            <SelectField label="TLS" {...form.field('proxyTls')}>
              <option value="auto">auto (ACME)</option>
              <option value="internal">internal CA</option>
              <option value="off">off (HTTP only)</option>
            </SelectField>
            <Field label="Caddy admin address" {...form.field('proxyAdmin')} />
            <Field label="HTTP port" {...form.field('proxyHttpPort')} inputMode="numeric" />
            <Field label="HTTPS port" {...form.field('proxyHttpsPort')} inputMode="numeric" />
          </div>
        </details>
        <FormError error={form.submitError} />
      </form>
    );
    footer = (
      <>
        <Button onClick={close}>Cancel</Button>
        <Button type="submit" form="add-server" variant="primary" busy={form.busy}>
          Add server
        </Button>
      </>
    );
  } else {
    const s = stage.server;
    body = (
      <div className="space-y-3 text-sm" data-testid="host-key-confirm">
        <p className="flex flex-wrap items-center gap-2">
          Registered <strong>{s.name}</strong> ({s.user}@{s.host}:{s.port}) <StatusBadge status={s.status} />
        </p>
        {s.hostKeyFingerprint ? (
          <div className="rounded-md border border-amber-300 bg-amber-50 p-3 dark:border-amber-800 dark:bg-amber-950/40">
            <p className="flex items-center gap-1.5 font-medium">
              <ShieldCheck aria-hidden className="size-4" /> Host key fingerprint
            </p>
            <code className="mt-1 block font-mono text-xs break-all" data-fingerprint>
              {s.hostKeyFingerprint}
            </code>
            <p className="mt-2 text-zinc-600 dark:text-zinc-400">
              Compare it with the output of <code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code> on the server
              (over a channel you trust). Every later connection must present this same key.
            </p>
          </div>
        ) : (
          <ErrorState
            error={new Error(s.lastError ?? 'No host key was recorded: the server could not be reached yet.')}
          />
        )}
      </div>
    );
    footer = (
      <>
        <Button variant="danger" onClick={() => reject(s)}>
          {s.hostKeyFingerprint ? "It doesn't match — remove" : 'Remove'}
        </Button>
        <Button
          variant="primary"
          data-autofocus
          onClick={() => {
            toast.success(`Server ${s.name} added`, s.hostKeyFingerprint ?? undefined);
            close();
          }}
        >
          {s.hostKeyFingerprint ? 'It matches — trust' : 'Keep it'}
        </Button>
      </>
    );
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title={stage.kind === 'confirm' ? 'Confirm the host key' : 'Add a server'}
      footer={footer}
    >
      {body}
    </Dialog>
  );
}
