import { useQueryClient } from '@tanstack/react-query';
import { ShieldAlert } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import { checkFingerprint } from '../lib/validation.js';
import { useToast } from './toast.js';
import { Button, Field } from './ui.js';

/**
 * After a host key change infrakt refuses to connect. Re-pinning needs the fingerprint the user
 * verified on the server itself: we never offer "accept whatever it presents now".
 */
export function TrustHostKey({ server }: { server: string }) {
  const [fp, setFp] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const toast = useToast();
  const qc = useQueryClient();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const msg = checkFingerprint(fp);
    setError(msg ?? undefined);
    if (msg) return;
    setBusy(true);
    try {
      await endpoints.trustServer(server, fp.trim());
      toast.success(`New host key of ${server} trusted`, fp.trim());
      setFp('');
      await qc.invalidateQueries({ queryKey: ['server', server] });
      await qc.invalidateQueries({ queryKey: ['servers'] });
    } catch (err) {
      toast.error('Could not trust the key', err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      onSubmit={submit}
      noValidate
      className="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm dark:border-amber-800 dark:bg-amber-950/40"
    >
      <p className="flex items-center gap-1.5 font-semibold">
        <ShieldAlert aria-hidden className="size-4" /> The server presented a different host key
      </p>
      <p className="mt-1 text-zinc-600 dark:text-zinc-400">
        This happens after a reinstall — or when someone is intercepting the connection. Check the key on the server (
        <code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code>) and paste its fingerprint to trust it.
      </p>
      <div className="mt-3 flex flex-wrap items-start gap-2">
        <Field
          label="Verified fingerprint"
          name="trustFingerprint"
          value={fp}
          onChange={(e) => setFp(e.target.value)}
          error={error}
          placeholder="SHA256:…"
          className="min-w-64 flex-1"
          spellCheck={false}
          autoComplete="off"
        />
        <Button type="submit" variant="primary" busy={busy} className="sm:mt-6">
          Trust this key
        </Button>
      </div>
    </form>
  );
}
