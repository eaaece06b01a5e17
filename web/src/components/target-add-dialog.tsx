import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { BackupTargetAddRequest } from '../api/types.js';
import { Dialog } from './dialog.js';
import { useSubmit } from './form-dialog.js';
import { ErrorState } from './states.js';
import { Button, Field, SelectField } from './ui.js';

const EMPTY = {
  name: '',
  kind: 'sftp',
  sftp: '',
  sshKey: '',
  fingerprint: '',
  s3: '',
  accessKeyId: '',
  secretAccessKey: '',
  caCert: '',
};
type Key = keyof typeof EMPTY;

/** Add an SFTP or S3 target. Secrets go to the API once and are never shown again. */
export function AddTargetDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [v, setV] = useState(EMPTY);
  const [added, setAdded] = useState<string | null>(null);
  const qc = useQueryClient();
  const set = (k: Key) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) =>
    setV({ ...v, [k]: e.target.value });
  const submit = useSubmit(async () => {
    const body: BackupTargetAddRequest = { name: v.name.trim() };
    const put = (k: Exclude<Key, 'name' | 'kind'>) => {
      if (v[k].trim()) body[k] = k === 'sshKey' || k === 'caCert' ? v[k] : v[k].trim();
    };
    if (v.kind === 'sftp') for (const k of ['sftp', 'sshKey', 'fingerprint'] as const) put(k);
    else for (const k of ['s3', 'accessKeyId', 'secretAccessKey', 'caCert'] as const) put(k);
    const r = await endpoints.addBackupTarget(body);
    setAdded(r.target.name);
    await qc.invalidateQueries({ queryKey: ['backup-targets'] });
    await qc.invalidateQueries({ queryKey: ['backups-overview'] });
  });
  const { fields: fieldErrors } = submit;
  const close = () => {
    setV(EMPTY);
    submit.reset();
    setAdded(null);
    onClose();
  };
  return (
    <Dialog
      open={open}
      onClose={close}
      title={added ? `Target ${added} added` : 'Add a backup target'}
      footer={
        added ? (
          <Button variant="primary" onClick={close}>
            Close
          </Button>
        ) : (
          <>
            <Button onClick={close}>Cancel</Button>
            <Button variant="primary" type="submit" form="target-add" busy={submit.busy}>
              Add target
            </Button>
          </>
        )
      }
    >
      {added ? (
        <div className="space-y-2 text-sm">
          <p>
            A repository password was generated and stored encrypted in infrakt&apos;s state. Without it nobody can read
            these backups: keep <code>~/.infrakt</code> (<code>infrakt.db</code> and <code>master.key</code>) backed up,
            or save the password now with <code>infrakt backup-target password {added}</code>.
          </p>
          <p className="text-zinc-500 dark:text-zinc-400">Test it from a server before relying on it (Test button).</p>
        </div>
      ) : (
        <form id="target-add" onSubmit={submit.onSubmit} className="space-y-3">
          <Field label="Name" value={v.name} onChange={set('name')} required error={fieldErrors.name} />
          <SelectField label="Kind" value={v.kind} onChange={set('kind')}>
            <option value="sftp">SFTP</option>
            <option value="s3">S3-compatible</option>
          </SelectField>
          {v.kind === 'sftp' ? (
            <>
              <Field
                label="SFTP location"
                placeholder="backup@nas.example.com:/srv/restic"
                value={v.sftp}
                onChange={set('sftp')}
                error={fieldErrors.sftp}
              />
              <label className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
                Private key (optional: else the server&apos;s own SSH identity)
                <textarea
                  className="mt-1 block h-24 w-full rounded-md border border-zinc-300 bg-white p-2 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-900"
                  value={v.sshKey}
                  onChange={set('sshKey')}
                  spellCheck={false}
                  autoComplete="off"
                />
              </label>
              <Field
                label="Host key fingerprint (optional)"
                placeholder="SHA256:…"
                value={v.fingerprint}
                onChange={set('fingerprint')}
                hint="Without it the key is pinned on first contact"
              />
            </>
          ) : (
            <>
              <Field
                label="S3 URL"
                placeholder="https://s3.example.com/bucket/prefix"
                value={v.s3}
                onChange={set('s3')}
                error={fieldErrors.s3}
              />
              <Field label="Access key id" value={v.accessKeyId} onChange={set('accessKeyId')} autoComplete="off" />
              <Field
                label="Secret access key"
                type="password"
                value={v.secretAccessKey}
                onChange={set('secretAccessKey')}
                autoComplete="off"
              />
              <label className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
                CA certificate (optional, PEM)
                <textarea
                  className="mt-1 block h-20 w-full rounded-md border border-zinc-300 bg-white p-2 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-900"
                  value={v.caCert}
                  onChange={set('caCert')}
                  spellCheck={false}
                />
              </label>
            </>
          )}
          {submit.error ? <ErrorState error={submit.error} /> : null}
        </form>
      )}
    </Dialog>
  );
}
