import { useQuery, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, ArrowLeft, ShieldAlert } from 'lucide-react';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { isApiError } from '../api/client.js';
import { endpoints } from '../api/endpoints.js';
import type { CatalogEntryDetail, CatalogOutputs } from '../api/types.js';
import {
  CatalogFields,
  initialValues,
  validateInputs,
  valuesToSend,
  visibleInputs,
} from '../components/catalog-form.js';
import { CopyButton } from '../components/copy-button.js';
import { JobView } from '../components/job-view.js';
import { ErrorState, QueryState } from '../components/states.js';
import { Button, Card, Field, PageHeader, SelectField } from '../components/ui.js';
import { checkDomain, checkName } from '../lib/validation.js';

type Step = 'form' | 'review' | 'job';

function Outputs({ outputs }: { outputs: CatalogOutputs['outputs'] }) {
  return (
    <div
      className="rounded-md border border-amber-400 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950/40"
      role="alert"
      data-outputs
    >
      <p className="flex items-center gap-1.5 font-semibold text-amber-900 dark:text-amber-200">
        <AlertTriangle aria-hidden className="size-4" /> Save these now: they are shown once
      </p>
      <dl className="mt-2 space-y-2">
        {outputs.map((o) => (
          <div key={o.label}>
            <dt className="text-xs font-medium text-amber-900/80 dark:text-amber-200/80">{o.label}</dt>
            <dd className="mt-0.5 flex flex-wrap items-center gap-2">
              <code
                className="min-w-0 flex-1 rounded bg-white px-2 py-1 font-mono text-xs break-all dark:bg-zinc-950"
                data-output={o.label}
              >
                {o.value}
              </code>
              <CopyButton text={o.value} />
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

function Installer({ entry }: { entry: CatalogEntryDetail }) {
  const servers = useQuery({ queryKey: ['servers'], queryFn: ({ signal }) => endpoints.servers(signal) });
  const qc = useQueryClient();
  const [step, setStep] = useState<Step>('form');
  const [values, setValues] = useState(() => initialValues(entry.inputs));
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [target, setTarget] = useState({ server: '', name: entry.id, domain: '' });
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [jobId, setJobId] = useState<string | null>(null);
  const [outputs, setOutputs] = useState<CatalogOutputs['outputs'] | null>(null);
  const [claimError, setClaimError] = useState<unknown>(null);
  const server = target.server || servers.data?.[0]?.name || '';
  const compose = entry.kind === 'compose';

  const inputErrors = validateInputs(entry.inputs, values);
  const targetErrors: Record<string, string> = {};
  if (compose && checkName(target.name)) targetErrors.name = checkName(target.name)!;
  if (compose && target.domain && checkDomain(target.domain)) targetErrors.domain = checkDomain(target.domain)!;
  if (!server) targetErrors.server = 'is required: add a server first';
  const shownErrors: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputErrors)) if (touched[k]) shownErrors[k] = v;
  for (const [k, v] of Object.entries(serverErrors)) shownErrors[k] ??= v;

  const toReview = (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(Object.fromEntries(entry.inputs.map((i) => [i.name, true])));
    if (Object.keys(inputErrors).length || Object.keys(targetErrors).length) return;
    setStep('review');
  };

  const install = async () => {
    setBusy(true);
    setSubmitError(null);
    try {
      const res = await endpoints.installCatalog(entry.id, {
        server,
        ...(compose ? { name: target.name, ...(target.domain ? { domain: target.domain } : {}) } : {}),
        version: entry.version,
        values: valuesToSend(entry.inputs, values),
      });
      setJobId(res.jobId);
      setStep('job');
      await qc.invalidateQueries({ queryKey: ['apps'] });
    } catch (err) {
      // The API names the bad input (`inputs.<name>`): back to the form with the message beside it.
      if (isApiError(err)) {
        const byInput: Record<string, string> = {};
        for (const [field, msg] of Object.entries(err.fieldErrors())) byInput[field.replace(/^inputs\./, '')] = msg;
        setServerErrors(byInput);
        if (Object.keys(byInput).length) setStep('form');
      }
      setSubmitError(err);
    } finally {
      setBusy(false);
    }
  };

  // Outputs come from the API once; leaving this page forgets them.
  const claim = async (id: string) => {
    try {
      setOutputs((await endpoints.claimCatalogOutputs(id)).outputs);
    } catch (e) {
      setClaimError(e);
    }
  };

  if (step === 'job' && jobId) {
    return (
      <div className="space-y-4">
        {outputs ? <Outputs outputs={outputs} /> : null}
        {claimError ? <ErrorState error={claimError} /> : null}
        <JobView
          id={jobId}
          onFinished={(s) => {
            if (s.job?.status === 'succeeded' && !outputs) void claim(s.job.id);
          }}
        />
        {compose && outputs ? (
          <Link className="text-sm text-indigo-600 hover:underline" to={`/apps/${encodeURIComponent(target.name)}`}>
            Open the app {target.name}
          </Link>
        ) : null}
      </div>
    );
  }

  if (step === 'review') {
    const shown = visibleInputs(entry.inputs, values);
    return (
      <Card title="Review">
        <dl className="grid gap-x-4 gap-y-1.5 text-sm sm:grid-cols-[12rem_1fr]" data-review>
          <dt className="text-zinc-500 dark:text-zinc-400">Server</dt>
          <dd>{server}</dd>
          {compose ? (
            <>
              <dt className="text-zinc-500 dark:text-zinc-400">App name</dt>
              <dd>{target.name}</dd>
              <dt className="text-zinc-500 dark:text-zinc-400">Domain</dt>
              <dd>{target.domain || 'none (reachable on the server only)'}</dd>
            </>
          ) : null}
          {shown.map((i) => (
            <div key={i.name} className="contents">
              <dt className="text-zinc-500 dark:text-zinc-400">{i.label}</dt>
              <dd className="break-all">
                {values[i.name]
                  ? i.secret
                    ? '•••••••• (set)'
                    : values[i.name]
                  : i.generate
                    ? 'generated at install'
                    : '—'}
              </dd>
            </div>
          ))}
        </dl>
        {entry.dockerSocket === 'direct' ? (
          <p className="mt-3 flex items-center gap-1.5 text-sm font-medium text-red-600">
            <ShieldAlert aria-hidden className="size-4" /> This app gets full control of this server.
          </p>
        ) : null}
        {entry.removable ? null : (
          <p className="mt-3 text-sm text-zinc-600 dark:text-zinc-400" data-not-removable>
            This installer has no uninstall script: infrakt cannot remove it later; undo it on the server by hand.
          </p>
        )}
        {submitError ? (
          <div className="mt-3">
            <ErrorState error={submitError} />
          </div>
        ) : null}
        <div className="mt-4 flex gap-2">
          <Button onClick={() => setStep('form')}>Back</Button>
          <Button variant="primary" busy={busy} onClick={install} data-install>
            Install {entry.name}
          </Button>
        </div>
      </Card>
    );
  }

  return (
    <form onSubmit={toReview} noValidate className="space-y-4">
      <Card title="Where">
        <div className="grid gap-4 sm:grid-cols-3">
          <SelectField
            label="Server"
            name="server"
            value={server}
            error={touched.server ? targetErrors.server : undefined}
            onChange={(e) => setTarget({ ...target, server: e.target.value })}
          >
            {servers.data?.length ? null : <option value="">{servers.isPending ? 'Loading…' : 'No servers'}</option>}
            {servers.data?.map((s) => (
              <option key={s.id} value={s.name}>
                {s.name}
              </option>
            ))}
          </SelectField>
          {compose ? (
            <>
              <Field
                label="App name"
                name="app-name"
                value={target.name}
                error={targetErrors.name}
                onChange={(e) => setTarget({ ...target, name: e.target.value })}
              />
              <Field
                label="Domain"
                name="domain"
                value={target.domain}
                placeholder={`${entry.id}.example.com`}
                error={targetErrors.domain}
                hint="Routed by Caddy with TLS; empty for none"
                onChange={(e) => setTarget({ ...target, domain: e.target.value })}
              />
            </>
          ) : null}
        </div>
      </Card>
      {entry.inputs.length ? (
        <Card title="Settings">
          <CatalogFields
            inputs={entry.inputs}
            values={values}
            errors={shownErrors}
            onChange={(name, v) => {
              setValues({ ...values, [name]: v });
              setServerErrors(({ [name]: _gone, ...rest }) => rest);
            }}
            onBlur={(name) => setTouched({ ...touched, [name]: true })}
          />
        </Card>
      ) : null}
      {submitError && !Object.keys(serverErrors).length ? <ErrorState error={submitError} /> : null}
      <Button type="submit" variant="primary" data-review-button>
        Review
      </Button>
    </form>
  );
}

export default function CatalogInstallPage() {
  const { id = '' } = useParams();
  const q = useQuery({ queryKey: ['catalog', id], queryFn: ({ signal }) => endpoints.catalogEntry(id, signal) });
  useEffect(() => {
    document.title = `Install ${id} · infrakt`;
  }, [id]);
  return (
    <>
      <Link
        to="/catalog"
        className="mb-3 inline-flex items-center gap-1 text-sm text-zinc-500 dark:text-zinc-400 hover:text-zinc-800"
      >
        <ArrowLeft aria-hidden className="size-4" /> Catalog
      </Link>
      <QueryState query={q}>
        {(entry) => (
          <>
            <PageHeader
              title={
                <span className="flex items-center gap-2">
                  <span aria-hidden>{entry.icon}</span> {entry.name}{' '}
                  <span className="text-sm font-normal text-zinc-500 dark:text-zinc-400">{entry.version}</span>
                </span>
              }
              subtitle={entry.description}
            />
            {entry.dockerSocket !== 'none' ? (
              <p
                className={`mb-4 text-sm ${entry.dockerSocket === 'direct' ? 'font-medium text-red-600' : 'text-zinc-600 dark:text-zinc-400'}`}
              >
                {entry.dockerSocket === 'direct'
                  ? 'Full control of this server: '
                  : 'Docker access through a socket proxy: '}
                {entry.dockerSocketReason}
              </p>
            ) : null}
            <Installer entry={entry} />
          </>
        )}
      </QueryState>
    </>
  );
}
