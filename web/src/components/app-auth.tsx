import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AppAuthBody, AppView } from '../api/types.js';
import { useJobLauncher } from './job-dialog.js';
import { QueryState } from './states.js';
import { useToast } from './toast.js';
import { Button, Field, SelectField } from './ui.js';

type Kind = AppAuthBody['type'];
const USER_RE = /^[A-Za-z0-9._@-]{1,64}$/;

/** The same rules the API applies (services/apps/app-auth), checked here first so typos never leave the page. */
function check(kind: Kind, f: { user: string; password: string; url: string }): Record<string, string> {
  const e: Record<string, string> = {};
  if (kind === 'basic') {
    if (!USER_RE.test(f.user)) e.user = 'must be 1-64 letters, digits, ".", "_", "@" or "-"';
    if (f.password.length < 8) e.password = 'must be at least 8 characters';
    else if (new TextEncoder().encode(f.password).length > 72) e.password = 'must be at most 72 bytes';
  }
  if (kind === 'forward' && !/^https?:\/\/[^\s/]+/.test(f.url)) e.url = 'must be an http:// or https:// URL';
  return e;
}

/**
 * Auth in front of the app's route (`app update --auth`): forward_auth to an identity endpoint such as Authentik's
 * outpost, basic auth (the password goes to the API once, is stored as a bcrypt hash and never shown), or none.
 */
export function AppAuth({ app }: { app: AppView }) {
  const qc = useQueryClient();
  const toast = useToast();
  const jobs = useJobLauncher();
  const q = useQuery({
    queryKey: ['app', app.name, 'auth'],
    queryFn: ({ signal }) => endpoints.appAuth(app.name, signal),
  });
  const [kind, setKind] = useState<Kind | null>(null);
  const [form, setForm] = useState({ user: '', password: '', url: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const refresh = () => qc.invalidateQueries({ queryKey: ['app', app.name, 'auth'] });

  return (
    <QueryState query={q}>
      {(current) => {
        const k = kind ?? current.auth;
        const submit = async (e: React.FormEvent) => {
          e.preventDefault();
          const errs = check(k, form);
          setErrors(errs);
          if (Object.keys(errs).length) return;
          const body: AppAuthBody =
            k === 'basic'
              ? { type: 'basic', user: form.user, password: form.password }
              : k === 'forward'
                ? { type: 'forward', url: form.url }
                : { type: 'none' };
          setSaving(true);
          try {
            const title = `Auth for ${app.name}: ${k}`;
            const r = await endpoints.setAppAuth(app.name, body);
            // The password leaves the page's state as soon as the API has it.
            setForm((f) => ({ ...f, password: '' }));
            if ('jobId' in r) await jobs.launch(title, async () => r, { onSucceeded: refresh });
            else {
              toast.success(title, 'stored: applied by the next deploy (the app has no route yet)');
              await refresh();
            }
            setKind(null);
          } catch (err) {
            toast.error('Could not set the auth', err);
          } finally {
            setSaving(false);
          }
        };
        return (
          <form onSubmit={submit} noValidate className="max-w-xl space-y-3" data-auth-form>
            <p className="text-sm" data-auth-current>
              Now:{' '}
              <strong>
                {current.auth === 'basic'
                  ? `basic auth (${current.user})`
                  : current.auth === 'forward'
                    ? `forward_auth → ${current.url}`
                    : 'no auth'}
              </strong>
            </p>
            <SelectField label="Auth in front of the app" value={k} onChange={(e) => setKind(e.target.value as Kind)}>
              <option value="none">None</option>
              <option value="basic">Basic auth (user and password)</option>
              <option value="forward">forward_auth (Authentik outpost or any compatible endpoint)</option>
            </SelectField>
            {k === 'basic' ? (
              <>
                <Field
                  label="User"
                  value={form.user}
                  error={errors.user}
                  autoComplete="off"
                  onChange={(e) => setForm({ ...form, user: e.target.value })}
                />
                <Field
                  label="Password"
                  type="password"
                  value={form.password}
                  error={errors.password}
                  autoComplete="new-password"
                  hint="stored as a bcrypt hash; it is never shown again"
                  onChange={(e) => setForm({ ...form, password: e.target.value })}
                />
              </>
            ) : null}
            {k === 'forward' ? (
              <Field
                label="Endpoint URL"
                value={form.url}
                error={errors.url}
                placeholder="http://127.0.0.1:9000/outpost.goauthentik.io/auth/caddy"
                onChange={(e) => setForm({ ...form, url: e.target.value })}
              />
            ) : null}
            <Button type="submit" variant="primary" busy={saving}>
              Save auth
            </Button>
            {jobs.dialog}
          </form>
        );
      }}
    </QueryState>
  );
}
