import { CheckCircle2, Info, X, XCircle } from 'lucide-react';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useRef, useState } from 'react';
import { isApiError } from '../api/client.js';

type Tone = 'success' | 'error' | 'info';
interface Toast {
  id: number;
  tone: Tone;
  title: string;
  body?: string | undefined;
}
interface ToastApi {
  success(title: string, body?: string): void;
  error(title: string, err?: unknown): void;
  info(title: string, body?: string): void;
}

const Ctx = createContext<ToastApi | null>(null);

export function useToast(): ToastApi {
  const t = useContext(Ctx);
  if (!t) throw new Error('useToast outside ToastProvider');
  return t;
}

const ICONS = { success: CheckCircle2, error: XCircle, info: Info };
const TONE = {
  success: 'text-emerald-600 dark:text-emerald-400',
  error: 'text-red-600 dark:text-red-400',
  info: 'text-sky-600 dark:text-sky-400',
};

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  const push = useCallback(
    (tone: Tone, title: string, body?: string) => {
      const id = next.current++;
      setToasts((ts) => [...ts.slice(-2), { id, tone, title, body }]);
      // Errors stay longer: they usually carry a hint worth reading.
      setTimeout(() => dismiss(id), tone === 'error' ? 10_000 : 5_000);
    },
    [dismiss],
  );
  const api = useMemo<ToastApi>(
    () => ({
      success: (title, body) => push('success', title, body),
      info: (title, body) => push('info', title, body),
      error: (title, err) => {
        if (err === undefined) return push('error', title);
        const msg = err instanceof Error ? err.message : String(err);
        const hint = isApiError(err) && err.hint ? ` — ${err.hint}` : '';
        push('error', title, `${msg}${hint}`);
      },
    }),
    [push],
  );
  return (
    <Ctx.Provider value={api}>
      {children}
      <section
        aria-label="Notifications"
        aria-live="polite"
        className="pointer-events-none fixed right-0 bottom-0 z-50 flex w-full max-w-sm flex-col gap-2 p-3"
      >
        {toasts.map((t) => {
          const Icon = ICONS[t.tone];
          return (
            <div
              key={t.id}
              role={t.tone === 'error' ? 'alert' : 'status'}
              data-toast={t.tone}
              className="pointer-events-auto flex items-start gap-2 rounded-lg border border-zinc-200 bg-white p-3 text-sm shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
            >
              <Icon aria-hidden className={`mt-0.5 size-4 shrink-0 ${TONE[t.tone]}`} />
              <div className="min-w-0 flex-1">
                <p className="font-medium">{t.title}</p>
                {t.body ? <p className="mt-0.5 break-words text-zinc-600 dark:text-zinc-400">{t.body}</p> : null}
              </div>
              <button
                type="button"
                onClick={() => dismiss(t.id)}
                aria-label="Dismiss notification"
                className="rounded p-0.5 text-zinc-500 dark:text-zinc-400 hover:text-zinc-700 dark:hover:text-zinc-200"
              >
                <X aria-hidden className="size-3.5" />
              </button>
            </div>
          );
        })}
      </section>
    </Ctx.Provider>
  );
}
