import { Loader2 } from 'lucide-react';
import {
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  useId,
} from 'react';

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';

const VARIANTS: Record<Variant, string> = {
  primary: 'bg-indigo-600 text-white hover:bg-indigo-500 disabled:bg-indigo-600/50',
  secondary:
    'border border-zinc-300 bg-white text-zinc-800 hover:bg-zinc-100 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800',
  danger: 'bg-red-600 text-white hover:bg-red-500 disabled:bg-red-600/50',
  ghost: 'text-zinc-700 hover:bg-zinc-200/70 dark:text-zinc-300 dark:hover:bg-zinc-800',
};

export function Button({
  variant = 'secondary',
  busy = false,
  className = '',
  children,
  disabled,
  type = 'button',
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; busy?: boolean }) {
  return (
    <button
      type={type}
      disabled={disabled || busy}
      className={`inline-flex items-center justify-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium whitespace-nowrap transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 disabled:cursor-not-allowed disabled:opacity-60 ${VARIANTS[variant]} ${className}`}
      {...rest}
    >
      {busy ? <Loader2 aria-hidden className="size-4 animate-spin" /> : null}
      {children}
    </button>
  );
}

const inputClass =
  'block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm shadow-xs placeholder:text-zinc-400 focus:border-indigo-500 focus:outline-2 focus:outline-indigo-500/40 dark:border-zinc-700 dark:bg-zinc-900 aria-[invalid=true]:border-red-500';

export function Field({
  label,
  error,
  hint,
  className = '',
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string | undefined; hint?: ReactNode }) {
  const id = useId();
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={error || hint ? `${id}-desc` : undefined}
        className={inputClass}
        {...input}
      />
      {error || hint ? (
        <p
          id={`${id}-desc`}
          className={`mt-1 text-xs ${error ? 'text-red-600 dark:text-red-400' : 'text-zinc-500 dark:text-zinc-400'}`}
        >
          {error ? `${label} ${error}` : hint}
        </p>
      ) : null}
    </div>
  );
}

export function SelectField({
  label,
  error,
  children,
  className = '',
  ...select
}: SelectHTMLAttributes<HTMLSelectElement> & { label: string; error?: string | undefined }) {
  const id = useId();
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      <select
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-err` : undefined}
        className={inputClass}
        {...select}
      >
        {children}
      </select>
      {error ? (
        <p id={`${id}-err`} className="mt-1 text-xs text-red-600 dark:text-red-400">
          {label} {error}
        </p>
      ) : null}
    </div>
  );
}

export function Card({
  title,
  actions,
  children,
  className = '',
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section
      className={`rounded-lg border border-zinc-200 bg-white shadow-xs dark:border-zinc-800 dark:bg-zinc-900 ${className}`}
    >
      {title || actions ? (
        <header className="flex flex-wrap items-center justify-between gap-2 border-b border-zinc-200 px-4 py-2.5 dark:border-zinc-800">
          <h2 className="text-sm font-semibold">{title}</h2>
          <div className="flex flex-wrap items-center gap-2">{actions}</div>
        </header>
      ) : null}
      <div className="p-4">{children}</div>
    </section>
  );
}

export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="mb-5 flex flex-wrap items-end justify-between gap-3">
      <div className="min-w-0">
        <h1 className="truncate text-xl font-semibold tracking-tight">{title}</h1>
        {subtitle ? <p className="mt-0.5 text-sm text-zinc-500 dark:text-zinc-400">{subtitle}</p> : null}
      </div>
      {actions ? <div className="flex flex-wrap items-center gap-2">{actions}</div> : null}
    </div>
  );
}

const GOOD = new Set(['approved', 'active', 'running', 'succeeded', 'ok', 'healthy', 'up']);
const BUSY = new Set(['deploying', 'provisioning', 'queued', 'pending', 'starting', 'restarting', 'approval_pending']);
const BAD = new Set([
  'failed',
  'unreachable',
  'auth_failed',
  'host_key_mismatch',
  'error',
  'unhealthy',
  'exited',
  'dead',
  'down',
  'rejected',
]);

export function statusTone(status: string): 'good' | 'busy' | 'bad' | 'idle' {
  const s = status.toLowerCase();
  if (GOOD.has(s)) return 'good';
  if (BUSY.has(s)) return 'busy';
  if (BAD.has(s)) return 'bad';
  return 'idle';
}

const TONES = {
  good: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-300',
  busy: 'bg-sky-100 text-sky-800 dark:bg-sky-900/50 dark:text-sky-300',
  bad: 'bg-red-100 text-red-800 dark:bg-red-900/50 dark:text-red-300',
  idle: 'bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300',
};

export function StatusBadge({ status }: { status: string | null | undefined }) {
  const s = status ?? 'unknown';
  return (
    <span
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ${TONES[statusTone(s)]}`}
    >
      {s.replaceAll('_', ' ')}
    </span>
  );
}

/**
 * A table that scrolls sideways on a phone instead of breaking the layout. `scrollable`: wide by nature (the audit
 * log), so its scroll area takes keyboard focus — the arrow keys scroll it (WCAG: scrollable region focusable).
 */
export function Table({
  head,
  children,
  label,
  scrollable = false,
}: {
  head: string[];
  children: ReactNode;
  label: string;
  scrollable?: boolean;
}) {
  return (
    <div
      className="-mx-4 overflow-x-auto focus-visible:outline-2 focus-visible:outline-indigo-500 sm:mx-0"
      {...(scrollable ? { tabIndex: 0, role: 'region', 'aria-label': `${label} (scrolls sideways)` } : {})}
    >
      <table className="min-w-full text-left text-sm" aria-label={label}>
        <thead className="text-xs uppercase tracking-wide text-zinc-500 dark:text-zinc-400">
          <tr>
            {head.map((h) => (
              <th key={h} scope="col" className="px-4 py-2 font-medium sm:px-3">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">{children}</tbody>
      </table>
    </div>
  );
}

export const tdClass = 'px-4 py-2.5 align-middle sm:px-3';
