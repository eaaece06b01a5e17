import { useQueryClient } from '@tanstack/react-query';
import { Plus, X } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { OidcProviderAddRequest, OidcProviderView } from '../api/types.js';
import { CopyButton } from './copy-button.js';
import { Dialog } from './dialog.js';
import { FormDialog, useSubmit } from './form-dialog.js';
import { Button, Field, SelectField } from './ui.js';

type Kind = OidcProviderView['kind'];
type Role = OidcProviderView['allow'][number]['role'];
const ROLES: Role[] = ['viewer', 'deployer', 'admin'];

interface RuleRow {
  match: string;
  role: Role;
  servers: string;
}

const EMPTY = { name: '', kind: 'oidc' as Kind, issuer: '', apiUrl: '', clientId: '', clientSecret: '', label: '' };
type Values = typeof EMPTY;

/** The callback the provider must accept: the dashboard's own origin, as the API builds it at sign-in. */
export const callbackUrl = (name: string) => `${window.location.origin}/api/auth/oidc/${name}/callback`;

/** The API body for what the form holds: blanks left out, the GitHub-only fields only for GitHub. */
export function providerBody(v: Values, rules: RuleRow[]): OidcProviderAddRequest {
  const allow = rules
    .filter((r) => r.match.trim())
    .map((r) => {
      const servers = r.servers
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      return { match: r.match.trim(), role: r.role, ...(servers.length ? { servers } : {}) };
    });
  return {
    name: v.name.trim(),
    kind: v.kind,
    clientId: v.clientId.trim(),
    clientSecret: v.clientSecret,
    ...(v.issuer.trim() ? { issuer: v.issuer.trim() } : {}),
    ...(v.kind === 'github' && v.apiUrl.trim() ? { apiUrl: v.apiUrl.trim() } : {}),
    ...(v.label.trim() ? { label: v.label.trim() } : {}),
    ...(allow.length ? { allow } : {}),
  };
}

/**
 * Add a sign-in provider. The server reads the issuer's discovery document before saving anything, so a typo is
 * refused here with its reason. The client secret goes to the API once and is never shown again.
 */
export function AddOidcProviderDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const [v, setV] = useState(EMPTY);
  const [rules, setRules] = useState<RuleRow[]>([]);
  const [added, setAdded] = useState<OidcProviderView | null>(null);
  const submit = useSubmit(async () => {
    const p = await endpoints.addOidcProvider(providerBody(v, rules));
    setV(EMPTY);
    setRules([]);
    setAdded(p);
    await qc.invalidateQueries({ queryKey: ['oidc-providers'] });
  });
  const { fields } = submit;
  const set = (k: keyof Values) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setV({ ...v, [k]: e.target.value });
  const setRule = (i: number, patch: Partial<RuleRow>) =>
    setRules(rules.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const close = () => {
    // The secret is forgotten with the form.
    setV(EMPTY);
    setRules([]);
    submit.reset();
    setAdded(null);
    onClose();
  };
  if (added) {
    const uri = callbackUrl(added.name);
    return (
      <Dialog
        open={open}
        onClose={close}
        title={`Provider ${added.name} added`}
        footer={
          <Button variant="primary" onClick={close}>
            Done
          </Button>
        }
      >
        <div className="space-y-2 text-sm">
          <p>
            The login page now shows <strong>{added.label}</strong>. Register this redirect URI at the provider:
          </p>
          <div className="flex items-center gap-2">
            <code
              data-testid="redirect-uri"
              className="break-all rounded bg-zinc-100 p-2 font-mono text-xs dark:bg-zinc-800"
            >
              {uri}
            </code>
            <CopyButton text={uri} label="Copy redirect URI" />
          </div>
        </div>
      </Dialog>
    );
  }
  const github = v.kind === 'github';
  return (
    <FormDialog
      open={open}
      onClose={close}
      title="Add a sign-in provider"
      formId="oidc-add"
      action="Add provider"
      submit={submit}
    >
      <Field label="Name" required autoComplete="off" value={v.name} onChange={set('name')} error={fields.name} />
      <SelectField label="Kind" value={v.kind} onChange={set('kind')}>
        <option value="oidc">OpenID Connect (discovery)</option>
        <option value="github">GitHub (OAuth, verified emails)</option>
      </SelectField>
      <Field
        label={github ? 'GitHub Enterprise URL (optional)' : 'Issuer URL'}
        type="url"
        required={!github}
        autoComplete="off"
        placeholder={github ? 'https://github.com' : 'https://login.example.com'}
        hint={
          github
            ? 'Empty: github.com'
            : 'https (plain http only on this machine); its /.well-known/openid-configuration is checked now'
        }
        value={v.issuer}
        onChange={set('issuer')}
        error={fields.issuer}
      />
      {github ? (
        <Field
          label="API URL (optional)"
          type="url"
          autoComplete="off"
          placeholder="https://github.example.com/api/v3"
          hint="GitHub Enterprise Server only"
          value={v.apiUrl}
          onChange={set('apiUrl')}
          error={fields.apiUrl}
        />
      ) : null}
      <Field
        label="Client ID"
        required
        autoComplete="off"
        value={v.clientId}
        onChange={set('clientId')}
        error={fields.clientId}
      />
      <Field
        label="Client secret"
        type="password"
        required
        autoComplete="new-password"
        hint="Sealed under the master key; never shown again"
        value={v.clientSecret}
        onChange={set('clientSecret')}
        error={fields.clientSecret}
      />
      <Field
        label="Button label (optional)"
        autoComplete="off"
        placeholder={v.name ? `Sign in with ${v.name}` : 'Sign in with …'}
        value={v.label}
        onChange={set('label')}
        error={fields.label}
      />
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-zinc-700 dark:text-zinc-300">New users on first sign-in</legend>
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          Without a rule only existing users (matched by their verified email) may sign in.
        </p>
        {rules.map((r, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their position
          <div key={i} data-rule={i} className="grid items-end gap-2 sm:grid-cols-[1fr_8rem_1fr_auto]">
            <Field
              label={`Email or @domain (rule ${i + 1})`}
              autoComplete="off"
              placeholder="@example.com"
              value={r.match}
              onChange={(e) => setRule(i, { match: e.target.value })}
              error={fields[`allow.${i}.match`]}
            />
            <SelectField
              label={`Role (rule ${i + 1})`}
              value={r.role}
              onChange={(e) => setRule(i, { role: e.target.value as Role })}
            >
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {role}
                </option>
              ))}
            </SelectField>
            <Field
              label={`Servers (rule ${i + 1})`}
              autoComplete="off"
              placeholder="empty: all"
              value={r.servers}
              onChange={(e) => setRule(i, { servers: e.target.value })}
              error={fields[`allow.${i}.servers`] ?? fields[`allow.${i}.servers.0`]}
            />
            <Button aria-label={`Remove rule ${i + 1}`} onClick={() => setRules(rules.filter((_, j) => j !== i))}>
              <X aria-hidden className="size-4" />
            </Button>
          </div>
        ))}
        <Button onClick={() => setRules([...rules, { match: '', role: 'viewer', servers: '' }])}>
          <Plus aria-hidden className="size-4" /> Add rule
        </Button>
      </fieldset>
    </FormDialog>
  );
}
