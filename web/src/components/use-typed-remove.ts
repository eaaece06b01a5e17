import { type QueryKey, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useToast } from './toast.js';

/** What the toasts say: `Removed NAME` / `Could not remove NAME` unless a table names its action otherwise. */
export interface RemoveWords {
  done: string;
  failed: string;
}

const REMOVE: RemoveWords = { done: 'Removed', failed: 'Could not remove' };

/**
 * The remove flow of a table behind a typed confirmation: `ask(name)` opens the ConfirmDialog that `dialog` is
 * spread into; confirming sends `remove(name)` with the dialog's button busy, says how it went in a toast, closes
 * the dialog and reads `queryKey` again whatever the outcome (a failed remove may still have changed the list).
 */
export function useTypedRemove(
  queryKey: QueryKey,
  remove: (name: string) => Promise<unknown>,
  words: RemoveWords = REMOVE,
) {
  const qc = useQueryClient();
  const toast = useToast();
  const [target, setTarget] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return {
    ask: (name: string) => setTarget(name),
    dialog: {
      open: target !== null,
      name: target ?? '',
      busy,
      onClose: () => setTarget(null),
      onConfirm: async () => {
        if (!target) return;
        setBusy(true);
        try {
          await remove(target);
          toast.success(`${words.done} ${target}`);
        } catch (e) {
          toast.error(`${words.failed} ${target}`, e);
        } finally {
          setBusy(false);
          setTarget(null);
          await qc.invalidateQueries({ queryKey });
        }
      },
    },
  };
}
