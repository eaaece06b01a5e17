import { useQuery } from '@tanstack/react-query';
import { Eye } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AppCatalogOutputs } from '../api/types.js';
import { CopyButton } from './copy-button.js';
import { useToast } from './toast.js';
import { Button } from './ui.js';

/**
 * What a catalog app's manifest says to show (URL, admin user, generated passwords), read again from the values
 * it was installed with. Secret values stay off the page until the user asks (an audited reveal).
 */
export function CatalogAppOutputs({ app }: { app: string }) {
  const toast = useToast();
  const q = useQuery({
    queryKey: ['app-catalog-outputs', app],
    queryFn: ({ signal }) => endpoints.appCatalogOutputs(app, signal),
  });
  const [revealed, setRevealed] = useState<AppCatalogOutputs | null>(null);
  const [busy, setBusy] = useState(false);
  const outputs = q.data?.outputs ?? [];
  if (outputs.length === 0) return null;
  const reveal = async () => {
    setBusy(true);
    try {
      setRevealed(await endpoints.revealAppCatalogOutputs(app));
    } catch (e) {
      toast.error('Could not reveal the outputs', e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <dl className="space-y-1.5" data-app-outputs={app} aria-label={`Outputs of ${app}`}>
      {outputs.map((o) => {
        const value = o.secret ? (revealed?.outputs.find((r) => r.label === o.label)?.value ?? null) : o.value;
        return (
          <div key={o.label} className="flex flex-wrap items-center gap-2">
            <dt className="w-36 shrink-0 text-xs text-zinc-500 dark:text-zinc-400">{o.label}</dt>
            <dd className="flex min-w-0 flex-1 items-center gap-2">
              {value === null ? (
                <>
                  <span className="font-mono text-xs tracking-widest text-zinc-500 dark:text-zinc-400">••••••••</span>
                  <Button className="h-7 px-2 text-xs" onClick={reveal} busy={busy} aria-label={`Reveal ${o.label}`}>
                    <Eye aria-hidden className="size-3.5" /> Reveal
                  </Button>
                </>
              ) : (
                <>
                  {/^https?:\/\//.test(value) && !o.secret ? (
                    <a
                      href={value}
                      target="_blank"
                      rel="noreferrer"
                      className="font-mono text-xs break-all text-indigo-600 hover:underline dark:text-indigo-400"
                      data-app-output={o.label}
                    >
                      {value}
                    </a>
                  ) : (
                    <code className="font-mono text-xs break-all" data-app-output={o.label}>
                      {value}
                    </code>
                  )}
                  <CopyButton text={value} />
                </>
              )}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}
