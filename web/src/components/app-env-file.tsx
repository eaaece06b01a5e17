import { useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, Download, FileUp } from 'lucide-react';
import { useId, useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import { Dialog } from './dialog.js';
import { FormError } from './form-parts.js';
import { useToast } from './toast.js';
import { Button } from './ui.js';

/** `env import` in the dashboard: a dotenv file picked or pasted, checked by the API line by line, all or nothing. */
export function EnvImportButton({ app }: { app: string }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [replace, setReplace] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const qc = useQueryClient();
  const toast = useToast();
  const ids = { text: useId(), file: useId(), replace: useId() };
  const close = () => {
    setOpen(false);
    setText('');
    setReplace(false);
    setError(null);
  };
  const pick = async (file: File | undefined) => {
    if (!file) return;
    setText(await file.text());
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await endpoints.importEnv(app, text, replace);
      toast.success(
        `Imported ${r.set.length} variable(s)`,
        `${r.removed.length ? `removed ${r.removed.join(', ')}; ` : ''}push or deploy to apply them`,
      );
      await qc.invalidateQueries({ queryKey: ['app', app, 'env'] });
      close();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button onClick={() => setOpen(true)}>
        <FileUp aria-hidden className="size-4" /> Import .env
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title={`Import variables into ${app}`}
        wide
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button type="submit" form={ids.text} variant="primary" busy={busy} disabled={text.trim() === ''}>
              Import
            </Button>
          </>
        }
      >
        <form id={ids.text} onSubmit={submit} className="space-y-3" aria-label="Import a dotenv file">
          <div>
            <label htmlFor={ids.file} className="mb-1 block text-sm font-medium text-zinc-700 dark:text-zinc-300">
              Dotenv file
            </label>
            <input
              id={ids.file}
              type="file"
              accept=".env,text/plain"
              onChange={(e) => void pick(e.target.files?.[0])}
              className="block text-sm text-zinc-700 file:mr-3 file:rounded-md file:border file:border-zinc-300 file:bg-white file:px-3 file:py-1 dark:text-zinc-300 dark:file:border-zinc-700 dark:file:bg-zinc-900 dark:file:text-zinc-100"
            />
          </div>
          <div>
            <label
              htmlFor={`${ids.text}-area`}
              className="mb-1 block text-sm font-medium text-zinc-700 dark:text-zinc-300"
            >
              Or paste its content
            </label>
            <textarea
              id={`${ids.text}-area`}
              name="dotenv"
              value={text}
              onChange={(e) => setText(e.target.value)}
              rows={10}
              spellCheck={false}
              autoComplete="off"
              placeholder={'DATABASE_URL=postgres://…\n# comments and "quoted values" are fine'}
              className="block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 font-mono text-xs placeholder:text-zinc-500 dark:text-zinc-400 focus:border-indigo-500 focus:outline-2 focus:outline-indigo-500/40 dark:border-zinc-700 dark:bg-zinc-900 dark:placeholder:text-zinc-400"
            />
          </div>
          <div className="flex items-start gap-2 text-sm">
            <input
              id={ids.replace}
              type="checkbox"
              checked={replace}
              onChange={(e) => setReplace(e.target.checked)}
              className="mt-0.5"
            />
            <label htmlFor={ids.replace}>Replace: also delete the variables the file does not list</label>
          </div>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">
            Every line is checked first; one bad line changes nothing.
          </p>
          <FormError error={error} />
        </form>
      </Dialog>
    </>
  );
}

/** `env export`: asks first (it reveals every value), then downloads `<app>.env`. */
export function EnvExportButton({ app }: { app: string }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const toast = useToast();
  const download = async () => {
    setBusy(true);
    try {
      const r = await endpoints.exportEnv(app);
      const url = URL.createObjectURL(new Blob([r.dotenv], { type: 'text/plain;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${app}.env`;
      a.click();
      URL.revokeObjectURL(url);
      toast.success(`Exported ${r.keys.length} variable(s)`, `${app}.env holds decrypted values: keep it private`);
      setOpen(false);
    } catch (e) {
      toast.error('Export failed', e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button onClick={() => setOpen(true)}>
        <Download aria-hidden className="size-4" /> Export .env
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title={`Export the variables of ${app}`}
        footer={
          <>
            <Button onClick={() => setOpen(false)}>Cancel</Button>
            <Button variant="primary" busy={busy} onClick={() => void download()} data-autofocus>
              Reveal and download
            </Button>
          </>
        }
      >
        <div className="flex gap-2 rounded-md bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950/40 dark:text-amber-200">
          <AlertTriangle aria-hidden className="mt-0.5 size-4 shrink-0" />
          <div>
            The file holds every value decrypted. The export is recorded in the audit log. References to named secrets
            stay <code>secret:NAME</code>.
          </div>
        </div>
      </Dialog>
    </>
  );
}
