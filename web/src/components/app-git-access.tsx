import { useQueryClient } from '@tanstack/react-query';
import { KeyRound, RefreshCw } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AppSettingsView, AppUpdateRequest } from '../api/types.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { CopyButton } from './copy-button.js';
import { ErrorState } from './states.js';
import { useToast } from './toast.js';
import { Button, Card, Field } from './ui.js';

type GitAccess = NonNullable<AppSettingsView['git']>;

/**
 * Private git access: the SSH deploy key's public half (to paste into the git host) and the pinned host keys,
 * or whether an https token is stored. A token is typed here and sent once; it never comes back from the API.
 */
export function AppGitAccess({ app, git }: { app: string; git: GitAccess }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [value, setValue] = useState('');
  const [user, setUser] = useState(git.token?.username ?? '');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [rotating, setRotating] = useState(false);

  const send = async (body: AppUpdateRequest, done: string) => {
    setBusy(true);
    setFailure(null);
    try {
      await endpoints.updateApp(app, body);
      toast.success(done, 'used by the next deploy');
      setValue('');
      await qc.invalidateQueries({ queryKey: ['app', app, 'settings'] });
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  };
  const rotate = async () => {
    setRotating(false);
    try {
      await endpoints.deployKey(app, true);
      toast.success('New deploy key', 'add it to the git host before the next deploy');
      await qc.invalidateQueries({ queryKey: ['app', app, 'settings'] });
    } catch (e) {
      setFailure(e);
    }
  };

  if (git.kind === 'path') return null;
  return (
    <Card title={git.kind === 'ssh' ? 'Git over SSH' : 'Git over https'}>
      {git.kind === 'ssh' ? (
        <div className="space-y-3 text-sm">
          <div>
            <h3 className="text-xs text-zinc-600 dark:text-zinc-400">
              Deploy key (add it to the repository, read-only)
            </h3>
            <p className="font-mono text-xs break-all" data-deploy-key>
              {git.deployKey ?? 'created on the first deploy'}
            </p>
            <div className="mt-2 flex flex-wrap gap-2">
              {git.deployKey ? <CopyButton text={git.deployKey} label="Copy key" /> : null}
              <Button onClick={() => setRotating(true)}>
                <RefreshCw aria-hidden className="size-4" /> New key
              </Button>
            </div>
          </div>
          <div>
            <h3 className="text-xs text-zinc-600 dark:text-zinc-400">Pinned git host keys</h3>
            <p className="font-mono text-xs" data-host-keys>
              {git.hostKeys.length ? git.hostKeys.join(', ') : 'none yet: the next fetch pins what the host presents'}
            </p>
          </div>
          <form
            noValidate
            aria-label="Pin a git host key"
            className="grid items-start gap-2 sm:grid-cols-[1fr_auto]"
            onSubmit={(e) => {
              e.preventDefault();
              if (value.trim()) void send({ gitHostKey: value.trim() }, 'Pinned the git host key');
            }}
          >
            <Field
              label="Git host key"
              name="gitHostKey"
              value={value}
              onChange={(e) => setValue(e.target.value)}
              placeholder="ssh-ed25519 AAAA… or SHA256:…"
              spellCheck={false}
              autoComplete="off"
            />
            <Button type="submit" busy={busy} className="sm:mt-6">
              Pin
            </Button>
          </form>
        </div>
      ) : (
        <div className="space-y-3 text-sm">
          <p data-token-state>
            {git.token
              ? `A token is stored (sent as ${git.token.username}).`
              : 'No token: the repository must be public.'}
          </p>
          <form
            noValidate
            aria-label="Set the git token"
            className="grid items-start gap-2 sm:grid-cols-[1fr_1fr_auto]"
            onSubmit={(e) => {
              e.preventDefault();
              if (value)
                void send(
                  { gitToken: value, ...(user.trim() ? { gitUsername: user.trim() } : {}) },
                  'Stored the token',
                );
            }}
          >
            <Field
              label="Token"
              name="gitToken"
              type="password"
              value={value}
              onChange={(e) => setValue(e.target.value)}
              autoComplete="new-password"
            />
            <Field
              label="User name"
              name="gitUsername"
              value={user}
              onChange={(e) => setUser(e.target.value)}
              placeholder="x-access-token"
              autoComplete="off"
            />
            <Button type="submit" busy={busy} className="sm:mt-6">
              <KeyRound aria-hidden className="size-4" /> Save token
            </Button>
          </form>
          {git.token ? (
            <Button onClick={() => void send({ gitToken: null }, 'Removed the token')} busy={busy}>
              Remove token
            </Button>
          ) : null}
        </div>
      )}
      {failure ? (
        <div className="mt-3">
          <ErrorState error={failure} />
        </div>
      ) : null}
      <ConfirmDialog
        open={rotating}
        onClose={() => setRotating(false)}
        onConfirm={rotate}
        title="Replace the deploy key"
        name={app}
        action="Replace key"
      >
        The current key stops working for this app: add the new one to the git host before the next deploy.
      </ConfirmDialog>
    </Card>
  );
}
