import { type ChangeEvent, type FormEvent, useState } from 'react';
import { isApiError } from '../api/client.js';
import { type FieldErrors, hasErrors } from './validation.js';

type Values<K extends string> = Record<K, string>;

/**
 * The state every form dialog keeps: its values (as typed), field errors (our checks, or the fields an API
 * VALIDATION error names), the error of the last submit, and whether a submit is in flight.
 */
export function useForm<K extends string>(initial: Values<K>) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  return {
    values,
    errors,
    submitError,
    busy,
    /** Props that bind a Field or SelectField to one value (its `name` is the key). */
    field: (k: K) => ({
      name: k,
      value: values[k],
      error: errors[k],
      onChange: (e: ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
        const value = e.target.value;
        setValues((v) => ({ ...v, [k]: value }));
      },
    }),
    /** Back to the initial values, with no errors (a dialog forgets what was typed when it closes). */
    reset: () => {
      setValues(initial);
      setErrors({});
      setSubmitError(null);
    },
    /**
     * An onSubmit handler: `validate` first (its errors show on the fields), then `send` with the form busy.
     * A refused request shows as the form's error, and the fields a VALIDATION answer names are marked.
     * `values` replaces what was typed where the form shows a default (the first server, say).
     */
    onSubmit:
      (o: { values?: Values<K>; validate: (v: Values<K>) => FieldErrors; send: (v: Values<K>) => Promise<void> }) =>
      async (e: FormEvent) => {
        e.preventDefault();
        const v = o.values ?? values;
        const errs = o.validate(v);
        setErrors(errs);
        if (hasErrors(errs)) return;
        setBusy(true);
        setSubmitError(null);
        try {
          await o.send(v);
        } catch (err) {
          if (isApiError(err)) setErrors(err.fieldErrors());
          setSubmitError(err);
        } finally {
          setBusy(false);
        }
      },
  };
}
