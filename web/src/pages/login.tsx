import { KeyRound, LogIn } from 'lucide-react';
import { useEffect, useState } from 'react';
import { setApiKey } from '../api/auth.js';
import { ApiError, isApiError, SESSION_PREFIX } from '../api/client.js';
import { endpoints } from '../api/endpoints.js';
import type { AuthProvidersView } from '../api/types.js';
import { ErrorState } from '../components/states.js';
import { Button, Field } from '../components/ui.js';

/** Explains a refused key in the user's terms (the API's own message is about headers). */
export function loginErrorFor(e: unknown): ApiError | unknown {
  if (!isApiError(e)) return e;
  if (e.status === 401 || e.status === 403) {
    return new ApiError(
      e.status,
      e.code,
      'That API key was not accepted.',
      'Copy the key from $INFRAKT_HOME/api_key (default ~/.infrakt/api_key), or print it with: infrakt api-key show',
    );
  }
  return e;
}

/** Sign-in for team members: user name and password; the session lives in an HttpOnly cookie. */
function UserLogin() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await endpoints.login(username.trim(), password);
      setApiKey(`${SESSION_PREFIX}${me.csrfToken}`);
    } catch (err) {
      setError(
        isApiError(err) && err.status === 401
          ? new ApiError(
              401,
              err.code,
              'Wrong user name or password.',
              'Ask an admin to reset it: infrakt user passwd NAME',
            )
          : err,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      onSubmit={submit}
      className="mt-4 space-y-4 rounded-lg border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
      aria-labelledby="user-login-title"
    >
      <h2 id="user-login-title" className="text-lg font-semibold">
        Sign in as a team member
      </h2>
      <Field
        label="User name"
        name="username"
        autoComplete="username"
        value={username}
        onChange={(e) => setUsername(e.target.value)}
      />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      {error ? <ErrorState error={error} /> : null}
      <Button type="submit" variant="primary" busy={busy} className="w-full">
        Log in as team member
      </Button>
    </form>
  );
}

/**
 * An identity provider's sign-in comes back as `/?signed_in=1` (the session cookie is set) or `/?login_error=…`:
 * read the marker once and clean the address bar.
 */
let returned: { error: string | null; signedIn: boolean } | null = null;
function takeReturn(): { error: string | null; signedIn: boolean } {
  // Read once per page load (React may call a state initialiser twice in development).
  if (returned) return returned;
  returned = readReturn();
  return returned;
}

function readReturn(): { error: string | null; signedIn: boolean } {
  if (typeof window === 'undefined') return { error: null, signedIn: false };
  const url = new URL(window.location.href);
  const error = url.searchParams.get('login_error');
  const signedIn = url.searchParams.get('signed_in') === '1';
  if (error === null && !signedIn) return { error: null, signedIn: false };
  url.searchParams.delete('login_error');
  url.searchParams.delete('signed_in');
  window.history.replaceState(null, '', `${url.pathname}${url.search}${url.hash}`);
  return { error, signedIn };
}

/**
 * One button per configured identity provider. A plain link, not a fetch: the browser itself must travel to the
 * provider and back so that the flow cookie and then the session cookie land. After a successful return the session
 * cookie is already set, so the page asks who it is and keeps the CSRF token like a password sign-in does.
 */
function ProviderLogin() {
  const [providers, setProviders] = useState<AuthProvidersView['providers']>([]);
  const [{ error, signedIn }] = useState(takeReturn);
  useEffect(() => {
    const ctl = new AbortController();
    endpoints
      .authProviders(ctl.signal)
      .then((r) => setProviders(r.providers))
      .catch(() => setProviders([]));
    // Consumed: the login page shown again later (after signing out) starts clean.
    returned = { error: null, signedIn: false };
    if (signedIn) {
      endpoints
        .sessionProbe(ctl.signal)
        .then((me) => {
          if (me.csrfToken) setApiKey(`${SESSION_PREFIX}${me.csrfToken}`);
        })
        .catch(() => undefined);
    }
    return () => ctl.abort();
  }, [signedIn]);
  if (!providers.length && !error) return null;
  return (
    <section
      className="mt-4 space-y-3 rounded-lg border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
      aria-labelledby="provider-login-title"
    >
      <h2 id="provider-login-title" className="text-lg font-semibold">
        Sign in with your organisation
      </h2>
      {error ? <ErrorState error={new ApiError(401, 'SIGN_IN_REFUSED', error)} /> : null}
      {providers.map((p) => (
        <a
          key={p.name}
          href={`/api/auth/oidc/${encodeURIComponent(p.name)}/start`}
          className="flex w-full items-center justify-center gap-2 rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 dark:border-zinc-700 dark:hover:bg-zinc-800"
        >
          <LogIn aria-hidden className="size-4" /> {p.label}
        </a>
      ))}
    </section>
  );
}

export function LoginPage() {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const candidate = key.trim();
    if (!candidate) {
      setError(new ApiError(0, 'VALIDATION', 'Paste your API key first.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await endpoints.dashboard(undefined, candidate);
      setApiKey(candidate);
    } catch (err) {
      setError(loginErrorFor(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="grid min-h-screen place-items-center px-4">
      <div className="w-full max-w-md">
        <div className="mb-6 flex items-center gap-2">
          <span aria-hidden className="grid size-8 place-items-center rounded-md bg-indigo-600 font-bold text-white">
            i
          </span>
          <h1 className="text-2xl font-semibold tracking-tight">infrakt</h1>
        </div>
        <form
          onSubmit={submit}
          className="space-y-4 rounded-lg border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
          aria-labelledby="login-title"
        >
          <div>
            <h2 id="login-title" className="flex items-center gap-2 text-lg font-semibold">
              <KeyRound aria-hidden className="size-5 text-indigo-500" /> Sign in with your API key
            </h2>
            <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
              <code className="rounded bg-zinc-100 px-1 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
                infrakt serve
              </code>{' '}
              prints where the key lives (usually{' '}
              <code className="rounded bg-zinc-100 px-1 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
                ~/.infrakt/api_key
              </code>
              ). It is kept in this browser until you log out.
            </p>
          </div>
          <Field
            label="API key"
            name="apiKey"
            type="password"
            autoComplete="current-password"
            spellCheck={false}
            autoFocus
            value={key}
            onChange={(e) => setKey(e.target.value)}
          />
          {error ? <ErrorState error={error} /> : null}
          <Button type="submit" variant="primary" busy={busy} className="w-full">
            Sign in
          </Button>
        </form>
        <ProviderLogin />
        <UserLogin />
      </div>
    </main>
  );
}
