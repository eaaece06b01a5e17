import { useQueryClient } from '@tanstack/react-query';
import { ShieldCheck } from 'lucide-react';
import { useState } from 'react';
import { isApiError } from '../api/client.js';
import { endpoints, unwrapOne } from '../api/endpoints.js';
import type { ServerView } from '../api/types.js';
import { checkPort, hasErrors, type ServerFields, validateServerForm } from '../lib/validation.js';
import { Dialog } from './dialog.js';
import { jobIdOf } from './job-dialog.js';
import { JobView } from './job-view.js';
import { ErrorState } from './states.js';
import { useToast } from './toast.js';
import { Button, Field, SelectField, StatusBadge } from './ui.js';

const EMPTY: Record<ServerFields, string> = {
  name: '',
  host: '',
  user: 'root',
  port: '22',
  keyPath: '',
  provider: '',
  root: '/opt/infrakt',
  fingerprint: '',
};

type Stage = { kind: 'form' } | { kind: 'job'; jobId: string; name: string } | { kind: 'confirm'; server: ServerView };

/** Add a server, then show the host key it presented so the user can compare it before trusting it. */
export function AddServerDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [v, setV] = useState(EMPTY);
  const [proxy, setProxy] = useState({ tls: 'auto', httpPort: '80', httpsPort: '443', adminAddress: 'localhost:2019' });
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [stage, setStage] = useState<Stage>({ kind: 'form' });
  const qc = useQueryClient();
  const toast = useToast();

  const close = () => {
    setV(EMPTY);
    setErrors({});
    setSubmitError(null);
    setStage({ kind: 'form' });
    onClose();
  };
  const set = (k: ServerFields) => (e: React.ChangeEvent<HTMLInputElement>) => setV({ ...v, [k]: e.target.value });

  const loadServer = async (name: string) => {
    const server = await endpoints.server(name);
    setStage({ kind: 'confirm', server });
    await qc.invalidateQueries({ queryKey: ['servers'] });
  };

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const errs: Partial<Record<string, string>> = { ...validateServerForm(v) };
    for (const k of ['httpPort', 'httpsPort'] as const) {
      const m = checkPort(proxy[k]);
      if (m) errs[k] = m;
    }
    setErrors(errs);
    if (hasErrors(errs)) return;
    setBusy(true);
    setSubmitError(null);
    const body: Record<string, unknown> = { name: v.name, host: v.host.trim(), port: Number(v.port || 22) };
    for (const k of ['user', 'keyPath', 'provider', 'root', 'fingerprint'] as const)
      if (v[k].trim()) body[k] = v[k].trim();
    body.proxy = {
      tls: proxy.tls,
      httpPort: Number(proxy.httpPort),
      httpsPort: Number(proxy.httpsPort),
      adminAddress: proxy.adminAddress,
    };
    try {
      const res = await endpoints.addServer(body);
      await qc.invalidateQueries({ queryKey: ['servers'] });
      const server = unwrapOne<ServerView>(res, 'server');
      // Registering only records the server; a connection test pins (or checks) its host key.
      try {
        const test = await endpoints.testServer(v.name);
        const jobId = jobIdOf(test);
        if (jobId) setStage({ kind: 'job', jobId, name: v.name });
        else await loadServer(v.name);
      } catch (err) {
        toast.error(`Connection test of ${v.name} failed`, err);
        if (server && typeof server === 'object' && 'name' in server) setStage({ kind: 'confirm', server });
        else await loadServer(v.name);
      }
    } catch (err) {
      if (isApiError(err)) setErrors(err.fieldErrors());
      setSubmitError(err);
    } finally {
      setBusy(false);
    }
  };

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
        <Field label="Name" name="name" value={v.name} onChange={set('name')} error={errors.name} placeholder="web-1" />
        <Field
          label="Host"
          name="host"
          value={v.host}
          onChange={set('host')}
          error={errors.host}
          placeholder="203.0.113.10"
        />
        <Field label="SSH user" name="user" value={v.user} onChange={set('user')} error={errors.user} />
        <Field
          label="SSH port"
          name="port"
          inputMode="numeric"
          value={v.port}
          onChange={set('port')}
          error={errors.port}
        />
        <Field
          label="Private key path"
          name="keyPath"
          value={v.keyPath}
          onChange={set('keyPath')}
          error={errors.keyPath}
          hint="On the machine running infrakt; empty uses ssh-agent"
          className="sm:col-span-2"
        />
        <Field
          label="Provider"
          name="provider"
          value={v.provider}
          onChange={set('provider')}
          error={errors.provider}
          placeholder="hetzner"
        />
        <Field label="Remote root" name="root" value={v.root} onChange={set('root')} error={errors.root} />
        <Field
          label="Expected host key fingerprint"
          name="fingerprint"
          value={v.fingerprint}
          onChange={set('fingerprint')}
          error={errors.fingerprint}
          hint="Optional: SHA256:… from ssh-keygen -lf; anything else is refused"
          className="sm:col-span-2"
        />
        <details className="sm:col-span-2">
          <summary className="cursor-pointer text-sm font-medium text-zinc-700 dark:text-zinc-300">
            Proxy settings
          </summary>
          <div className="mt-3 grid gap-3 sm:grid-cols-2">
            <SelectField
              label="TLS"
              name="proxyTls"
              value={proxy.tls}
              onChange={(e) => setProxy({ ...proxy, tls: e.target.value })}
            >
              <option value="auto">auto (ACME)</option>
              <option value="internal">internal CA</option>
              <option value="off">off (HTTP only)</option>
            </SelectField>
            <Field
              label="Caddy admin address"
              name="proxyAdmin"
              value={proxy.adminAddress}
              onChange={(e) => setProxy({ ...proxy, adminAddress: e.target.value })}
            />
            <Field
              label="HTTP port"
              name="proxyHttpPort"
              inputMode="numeric"
              value={proxy.httpPort}
              error={errors.httpPort}
              onChange={(e) => setProxy({ ...proxy, httpPort: e.target.value })}
            />
            <Field
              label="HTTPS port"
              name="proxyHttpsPort"
              inputMode="numeric"
              value={proxy.httpsPort}
              error={errors.httpsPort}
              onChange={(e) => setProxy({ ...proxy, httpsPort: e.target.value })}
            />
          </div>
        </details>
        {submitError ? (
          <div className="sm:col-span-2">
            <ErrorState error={submitError} />
          </div>
        ) : null}
      </form>
    );
    footer = (
      <>
        <Button onClick={close}>Cancel</Button>
        <Button type="submit" form="add-server" variant="primary" busy={busy}>
          Add server
        </Button>
      </>
    );
  } else if (stage.kind === 'job') {
    body = (
      <JobView id={stage.jobId} compact onFinished={() => loadServer(stage.name).catch((e) => setSubmitError(e))} />
    );
    footer = <Button onClick={close}>Close</Button>;
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
      wide={stage.kind === 'job'}
    >
      {body}
    </Dialog>
  );
}
