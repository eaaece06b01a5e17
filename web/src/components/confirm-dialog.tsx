import { AlertTriangle } from 'lucide-react';
import { type ReactNode, useState } from 'react';
import { confirmMatches } from '../lib/validation.js';
import { Dialog } from './dialog.js';
import { Button, Field } from './ui.js';

/** Destructive actions: the user types the resource name to enable the button. */
export function ConfirmDialog({
  open,
  onClose,
  onConfirm,
  title,
  name,
  action,
  children,
  busy = false,
}: {
  open: boolean;
  onClose: () => void;
  onConfirm: () => void;
  title: string;
  name: string;
  action: string;
  children?: ReactNode;
  busy?: boolean;
}) {
  const [typed, setTyped] = useState('');
  const ok = confirmMatches(typed, name);
  const close = () => {
    setTyped('');
    onClose();
  };
  return (
    <Dialog
      open={open}
      onClose={close}
      title={title}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button
            variant="danger"
            disabled={!ok}
            busy={busy}
            onClick={() => {
              setTyped('');
              onConfirm();
            }}
          >
            {action}
          </Button>
        </>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (ok && !busy) {
            setTyped('');
            onConfirm();
          }
        }}
        className="space-y-3"
      >
        <div className="flex gap-2 rounded-md bg-red-50 p-3 text-sm text-red-800 dark:bg-red-950/40 dark:text-red-300">
          <AlertTriangle aria-hidden className="mt-0.5 size-4 shrink-0" />
          <div>{children ?? 'This cannot be undone.'}</div>
        </div>
        <Field
          label={`Type ${name} to confirm`}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          name="confirm"
        />
      </form>
    </Dialog>
  );
}
