// The install form, generated from an entry's inputs: one widget per type, visible_if applied live, and the
// same validation code as the CLI and the API (src/core/catalog/inputs.ts), so messages match word for word.
import { Eye, EyeOff, Wand2 } from 'lucide-react';
import { useId, useState } from 'react';
import { generateValue, parseGenerator } from '../../../src/core/catalog/input-types.js';
import { checkInputValue, isVisible } from '../../../src/core/catalog/inputs.js';
import type { CatalogInputView } from '../api/types.js';
import { Button } from './ui.js';

const inputClass =
  'block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm shadow-xs placeholder:text-zinc-400 focus:border-indigo-500 focus:outline-2 focus:outline-indigo-500/40 dark:border-zinc-700 dark:bg-zinc-900 aria-[invalid=true]:border-red-500';

const browserRandom = (b: Uint8Array) => crypto.getRandomValues(b);

/** A fresh secret in the input's own format (its generator, else a 24-character password). */
export function generateFor(input: CatalogInputView): string {
  const g = (input.generate && parseGenerator(input.generate)) || { kind: 'password' as const, length: 24 };
  return generateValue(g, browserRandom);
}

/** Initial values: defaults only (secrets are never pre-filled). */
export function initialValues(inputs: readonly CatalogInputView[]): Record<string, string> {
  return Object.fromEntries(inputs.map((i) => [i.name, i.default ?? '']));
}

export const visibleInputs = (inputs: readonly CatalogInputView[], values: Record<string, string>) =>
  inputs.filter((i) => isVisible(i, inputs, values));

/**
 * Messages by input name for the visible inputs. An empty input with a generator is fine: the server
 * generates it.
 */
export function validateInputs(inputs: readonly CatalogInputView[], values: Record<string, string>) {
  const errors: Record<string, string> = {};
  for (const i of visibleInputs(inputs, values)) {
    const raw = values[i.name] ?? '';
    if (raw.trim() === '' && i.generate) continue;
    const r = checkInputValue(i, raw);
    if (!r.ok) errors[i.name] = r.message;
  }
  return errors;
}

/** What is sent: visible inputs with a value (hidden inputs are neither required nor sent). */
export function valuesToSend(inputs: readonly CatalogInputView[], values: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const i of visibleInputs(inputs, values)) if ((values[i.name] ?? '') !== '') out[i.name] = values[i.name]!;
  return out;
}

function Widget({
  input,
  value,
  error,
  onChange,
  onBlur,
}: {
  input: CatalogInputView;
  value: string;
  error?: string | undefined;
  onChange: (v: string) => void;
  onBlur: () => void;
}) {
  const id = useId();
  const [shown, setShown] = useState(false);
  const common = {
    id,
    name: input.name,
    'data-input': input.name,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': `${id}-desc`,
    onBlur,
  } as const;
  let control: React.ReactNode;
  if (input.type === 'boolean') {
    control = (
      <input
        {...common}
        type="checkbox"
        className="size-4 rounded border-zinc-300"
        checked={value === 'true'}
        onChange={(e) => onChange(e.target.checked ? 'true' : 'false')}
      />
    );
  } else if (input.type === 'select') {
    control = (
      <select {...common} className={inputClass} value={value} onChange={(e) => onChange(e.target.value)}>
        {input.required && value ? null : <option value="">—</option>}
        {(input.allowed_values ?? []).map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    );
  } else if (input.type === 'password') {
    control = (
      <div className="flex gap-1.5">
        <input
          {...common}
          type={shown ? 'text' : 'password'}
          autoComplete="new-password"
          className={inputClass}
          value={value}
          placeholder={input.generate ? 'leave empty to generate' : (input.placeholder ?? '')}
          onChange={(e) => onChange(e.target.value)}
        />
        <Button variant="ghost" aria-label={shown ? 'Hide' : 'Show'} onClick={() => setShown(!shown)}>
          {shown ? <EyeOff aria-hidden className="size-4" /> : <Eye aria-hidden className="size-4" />}
        </Button>
        <Button
          data-generate={input.name}
          onClick={() => {
            onChange(generateFor(input));
            setShown(true);
          }}
        >
          <Wand2 aria-hidden className="size-4" /> Generate
        </Button>
      </div>
    );
  } else {
    // Numbers stay text fields: the schema's own message explains a bad value, not the browser's.
    const numeric = input.type === 'integer' || input.type === 'port';
    control = (
      <input
        {...common}
        type="text"
        inputMode={numeric ? 'numeric' : input.type === 'email' ? 'email' : input.type === 'url' ? 'url' : 'text'}
        className={inputClass}
        value={value}
        placeholder={input.placeholder ?? ''}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  return (
    <div className={input.type === 'boolean' ? 'flex flex-wrap items-center gap-2' : ''}>
      {input.type === 'boolean' ? control : null}
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-zinc-700 dark:text-zinc-300">
        {input.label}
        {input.required ? <span className="text-red-600"> *</span> : null}
      </label>
      {input.type === 'boolean' ? null : control}
      <p
        id={`${id}-desc`}
        className={`mt-1 w-full text-xs ${error ? 'text-red-600 dark:text-red-400' : 'text-zinc-500 dark:text-zinc-400'}`}
      >
        {error ? (
          <span data-error={input.name}>
            {input.label} {error}
          </span>
        ) : (
          input.help
        )}
      </p>
    </div>
  );
}

/** The generated fields. Hidden inputs (visible_if) are not rendered at all. */
export function CatalogFields({
  inputs,
  values,
  errors,
  onChange,
  onBlur,
}: {
  inputs: readonly CatalogInputView[];
  values: Record<string, string>;
  errors: Record<string, string>;
  onChange: (name: string, v: string) => void;
  onBlur: (name: string) => void;
}) {
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      {visibleInputs(inputs, values).map((i) => (
        <Widget
          key={i.name}
          input={i}
          value={values[i.name] ?? ''}
          error={errors[i.name]}
          onChange={(v) => onChange(i.name, v)}
          onBlur={() => onBlur(i.name)}
        />
      ))}
    </div>
  );
}
