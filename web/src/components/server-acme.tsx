import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { ServerView } from '../api/types.js';
import { ErrorState } from './states.js';
import { Button, Card, Field } from './ui.js';

/**
 * The server's certificate settings (`server set --acme-email/--acme-ca/--acme-ca-root`): the contact e-mail for
 * Let's Encrypt, or a private ACME CA (step-ca, an internal CA) with the PEM of its root. Saved in the local state
 * (the API checks every value; a bad one changes nothing) and applied with the next proxy reload or deploy.
 */
export function ServerAcme({ server }: { server: ServerView }) {
  const qc = useQueryClient();
  const rootId = useId();
  const acme = server.acme;
  const [email, setEmail] = useState(acme?.email ?? '');
  const [ca, setCa] = useState(acme?.ca ?? '');
  // The stored root is never sent back (only whether there is one): an empty box keeps it, unless the CA is cleared.
  const [root, setRoot] = useState('');
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: () =>
      endpoints.setServerSettings(server.name, {
        acmeEmail: email.trim() || null,
        acmeCa: ca.trim() || null,
        ...(root.trim() ? { acmeCaRoot: root } : ca.trim() ? {} : { acmeCaRoot: null }),
      }),
    onSuccess: (view) => {
      qc.setQueryData(['server', server.name], view);
      void qc.invalidateQueries({ queryKey: ['servers'] });
      setRoot('');
      setSaved(true);
    },
    onError: () => setSaved(false),
  });

  return (
    <Card title="Certificates (ACME)">
      <form
        aria-label="Certificate settings"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          save.mutate();
        }}
        className="grid gap-3 sm:grid-cols-2"
      >
        <Field
          label="Contact e-mail"
          name="acmeEmail"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          placeholder="ops@example.com"
          hint="Let's Encrypt writes here before a certificate expires; empty: none"
          autoComplete="off"
        />
        <Field
          label="ACME directory of a private CA"
          name="acmeCa"
          value={ca}
          onChange={(e) => setCa(e.target.value)}
          placeholder="https://ca.internal:9000/acme/acme/directory"
          hint="Empty: Let's Encrypt (and ZeroSSL as fallback)"
          autoComplete="off"
        />
        <div className="sm:col-span-2">
          <label htmlFor={rootId} className="mb-1 block text-sm font-medium text-zinc-700 dark:text-zinc-300">
            Root certificate of the private CA (PEM)
          </label>
          <textarea
            id={rootId}
            name="acmeCaRoot"
            className="block h-24 w-full rounded-md border border-zinc-300 bg-white p-2 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-900"
            value={root}
            onChange={(e) => setRoot(e.target.value)}
            placeholder={acme?.caRoot ? 'A root is stored: paste another to replace it' : '-----BEGIN CERTIFICATE-----'}
            spellCheck={false}
            autoComplete="off"
          />
        </div>
        {save.error ? (
          <div className="sm:col-span-2">
            <ErrorState error={save.error} />
          </div>
        ) : null}
        <div className="flex items-center gap-3 sm:col-span-2">
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save certificate settings
          </Button>
          <span role="status" className="text-xs text-zinc-600 dark:text-zinc-400">
            {saved ? 'Saved: applies with the next proxy reload or deploy' : ''}
            {!saved && acme?.caRoot ? 'A private CA root is stored' : ''}
          </span>
        </div>
      </form>
    </Card>
  );
}
