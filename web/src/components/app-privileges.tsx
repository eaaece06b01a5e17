import { useQueryClient } from '@tanstack/react-query';
import { ShieldAlert } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AppSettingsView, PrivilegeClass } from '../api/types.js';
import { useMe } from '../lib/use-me.js';
import { ErrorState } from './states.js';
import { useToast } from './toast.js';
import { Button, Card } from './ui.js';

/** Each class an admin may allow, as `--allow-privileged` names it (the record breaks the build if one is added). */
const CLASSES = {
  privileged: 'privileged: true',
  cap_add: 'cap_add (extra capabilities)',
  host_namespaces: "the host's PID / network / IPC / UTS / user namespaces, another container's, cgroup_parent",
  devices: 'devices and device_cgroup_rules',
  security_opt: 'security_opt (seccomp, AppArmor … weakened)',
  docker_socket: 'a bind mount of the Docker socket',
  host_mounts: 'bind mounts outside the app directory, volumes with driver options',
} satisfies Record<PrivilegeClass, string>;
const ALL = Object.keys(CLASSES) as PrivilegeClass[];

/**
 * Compose options that give root on the server: refused to non-admins (deployers, tokens, webhook pushes, previews)
 * unless an admin allows the class for this app. Everyone sees the allowance; only admins change it.
 */
export function AppPrivileges({ app, settings }: { app: string; settings: AppSettingsView }) {
  const me = useMe();
  const admin = me.data?.level === 'admin';
  const qc = useQueryClient();
  const toast = useToast();
  const [chosen, setChosen] = useState<PrivilegeClass[]>(settings.privileges);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const changed = [...chosen].sort().join(',') !== [...settings.privileges].sort().join(',');

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const r = await endpoints.setAppPrivileges(app, chosen);
      toast.success(
        `Privileged options of ${app}`,
        r.allowed.length ? `non-admin deploys may use ${r.allowed.join(', ')}` : 'none allowed',
      );
      await qc.invalidateQueries({ queryKey: ['app', app, 'settings'] });
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Privileged compose options">
      <form onSubmit={save} aria-label="Privileged compose options" className="space-y-3">
        <p className="text-xs text-zinc-600 dark:text-zinc-400">
          Deploys not made by an admin (deployers, tokens, webhook pushes, previews) are refused these in a compose file
          — the app&apos;s or its repository&apos;s — unless allowed here. Each gives root on the server.
        </p>
        <fieldset disabled={!admin || busy} className="grid gap-2 sm:grid-cols-2">
          <legend className="sr-only">Allowed for non-admin deploys</legend>
          {ALL.map((c) => (
            <label key={c} className="flex items-start gap-2 text-sm">
              <input
                type="checkbox"
                name={c}
                checked={chosen.includes(c)}
                onChange={(ev) => setChosen(ev.target.checked ? [...chosen, c] : chosen.filter((x) => x !== c))}
              />
              <span>
                <span className="font-mono text-xs">{c}</span>
                <span className="block text-xs text-zinc-500 dark:text-zinc-400">{CLASSES[c]}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {admin ? (
          <Button type="submit" variant="primary" busy={busy} disabled={!changed}>
            <ShieldAlert aria-hidden className="size-4" /> Save allowance
          </Button>
        ) : (
          <p className="text-xs text-zinc-500 dark:text-zinc-400">Only an admin can change this.</p>
        )}
        {failure ? <ErrorState error={failure} /> : null}
      </form>
    </Card>
  );
}
