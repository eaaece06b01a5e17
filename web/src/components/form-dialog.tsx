import { type FormEvent, type ReactNode, useState } from 'react';
import { isApiError } from '../api/client.js';
import { Dialog } from './dialog.js';
import { FormError } from './form-parts.js';
import { Button } from './ui.js';

/**
 * The submit of a form whose fields the API checks: busy while `send` runs, and what refused it kept until the
 * next submit or `reset()`. `fields` holds the messages a VALIDATION answer gives per field (shown on them);
 * `formError` is the refusal to show under the form, none when the fields already say it.
 */
export function useSubmit(send: () => Promise<void>) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fields = isApiError(error) ? error.fieldErrors() : {};
  return {
    busy,
    error,
    fields,
    formError: Object.keys(fields).length ? null : error,
    onSubmit: async (e: FormEvent) => {
      e.preventDefault();
      setBusy(true);
      setError(null);
      try {
        await send();
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    },
    reset: () => setError(null),
  };
}

export type Submit = ReturnType<typeof useSubmit>;

/**
 * A dialog around one form: the fields, the refusal under them, and Cancel and the submit button (busy while it
 * runs) in the footer. `onClose` is the dialog's own close, which forgets what was typed.
 */
export function FormDialog({
  open,
  onClose,
  title,
  formId,
  action,
  submit,
  children,
}: {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  /** The form's id: the footer's submit button sits outside the form and names it. */
  formId: string;
  /** The submit button's label. */
  action: string;
  submit: Submit;
  children: ReactNode;
}) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={title}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form={formId} busy={submit.busy}>
            {action}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit.onSubmit} className="space-y-3">
        {children}
        <FormError error={submit.formError} />
      </form>
    </Dialog>
  );
}
