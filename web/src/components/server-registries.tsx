import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Trash2 } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import { formatAgo } from '../lib/format.js';
import { useJobLauncher } from './job-dialog.js';
import { Empty, QueryState } from './states.js';
import { Button, Card, Field } from './ui.js';

// Registry hosts as `registry add` takes them: host[:port], no scheme or path (the API checks them again).
const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(:[0-9]{1,5})?$/;

/**
 * Private registries the server pulls from. Adding one is a job (`docker login --password-stdin` on the
 * server); the credentials are stored only once the login worked. The password is never shown again.
 */
export function ServerRegistries({ server }: { server: string }) {
  const q = useQuery({
    queryKey: ['server', server, 'registries'],
    queryFn: ({ signal }) => endpoints.registries(server, signal),
  });
  const qc = useQueryClient();
  const jobs = useJobLauncher();
  const [host, setHost] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ host?: string; username?: string; password?: string }>({});
  const refresh = () => void qc.invalidateQueries({ queryKey: ['server', server, 'registries'] });

  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    const errs = {
      ...(HOST_RE.test(host.trim()) ? {} : { host: 'must be a host such as ghcr.io or registry.example.com:5000' }),
      ...(username.trim() ? {} : { username: 'is required' }),
      ...(password ? {} : { password: 'is required' }),
    };
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const id = await jobs.launch(
      `Log ${server} in to ${host.trim()}`,
      () => endpoints.addRegistry(server, { host: host.trim(), username: username.trim(), password }),
      { onSucceeded: refresh },
    );
    if (id) setPassword('');
  };

  return (
    <Card title="Private registries">
      <QueryState query={q} empty={<Empty title="No registries" />}>
        {(list) => (
          <ul aria-label="Registries" className="divide-y divide-zinc-200 dark:divide-zinc-800">
            {list.map((r) => (
              <li key={r.host} data-registry={r.host} className="flex items-center justify-between gap-2 py-2 text-sm">
                <span className="font-mono text-xs break-all">
                  {r.username}@{r.host}
                </span>
                <span className="flex items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400">
                  {r.loggedInAt ? `logged in ${formatAgo(r.loggedInAt)}` : 'not logged in'}
                  <Button
                    variant="ghost"
                    aria-label={`Remove ${r.host}`}
                    onClick={() =>
                      jobs.launch(`Log ${server} out of ${r.host}`, () => endpoints.removeRegistry(server, r.host), {
                        onSucceeded: refresh,
                      })
                    }
                  >
                    <Trash2 aria-hidden className="size-4 text-red-500" />
                  </Button>
                </span>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
      <form onSubmit={add} noValidate aria-label="Add a registry" className="mt-3 grid gap-2 sm:grid-cols-3">
        <Field
          label="Registry"
          name="registryHost"
          value={host}
          onChange={(e) => setHost(e.target.value)}
          error={errors.host}
          placeholder="ghcr.io"
          autoComplete="off"
        />
        <Field
          label="User name"
          name="registryUser"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          error={errors.username}
          autoComplete="off"
        />
        <Field
          label="Password or token"
          name="registryPassword"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
          autoComplete="new-password"
        />
        <div className="sm:col-span-3">
          <Button type="submit" variant="primary" busy={jobs.busy !== null}>
            Log in and add
          </Button>
        </div>
      </form>
      {jobs.dialog}
    </Card>
  );
}
