import type { Command } from 'commander';
import { InfraktError } from '../../core/errors.js';
import { parseInput } from '../../core/schemas/parse.js';
import { addOidcProvider, oidcProviderAddSchema } from '../../services/auth/provider-setup.js';
import { listProviders, removeProvider } from '../../services/auth/providers.js';
import { withCtx } from '../context.js';
import { collect } from '../options.js';
import { c, info, printJson, printTable, success } from '../output.js';
import { confirm } from '../prompt.js';
import { readSecretInput } from '../read-secret.js';

/** `--allow MATCH=ROLE`: an exact email or an @domain that may sign in without an account yet, with its role. */
function allowRule(spec: string): { match: string; role: 'viewer' | 'deployer' | 'admin' } {
  const i = spec.lastIndexOf('=');
  const role = spec.slice(i + 1);
  if (i <= 0 || (role !== 'viewer' && role !== 'deployer' && role !== 'admin')) {
    throw new InfraktError('VALIDATION', `invalid --allow ${spec}: expected EMAIL=ROLE or @DOMAIN=ROLE`, {
      hint: 'e.g. --allow @example.com=viewer --allow ops@example.com=admin',
    });
  }
  return { match: spec.slice(0, i), role };
}

/** `infrakt oidc …`: OpenID Connect providers whose verified emails sign in to the dashboard as infrakt users. */
export function registerOidcCommands(oidc: Command): void {
  oidc
    .command('add <name>')
    .description(
      'add an OpenID Connect provider (client secret from stdin or a hidden prompt; the issuer is checked first)',
    )
    .option('--issuer <url>', 'issuer URL (https; http only on loopback); with --github: a GitHub Enterprise URL')
    .requiredOption('--client-id <id>', 'the client id registered at the provider')
    .option('--github', "GitHub's OAuth endpoints instead of OpenID Connect (the user's verified emails from its API)")
    .option('--api-url <url>', 'with --github on GitHub Enterprise Server: its API base (https://HOST/api/v3)')
    .option('--label <text>', 'button text on the login page (default "Sign in with NAME")')
    .option('--allow <rule>', 'EMAIL=ROLE or @DOMAIN=ROLE: create the user on first sign-in (repeatable)', collect)
    .option('--json', 'print the provider as JSON')
    .action(async (name: string, o) => {
      const allow = ((o.allow as string[] | undefined) ?? []).map(allowRule);
      const input = {
        name,
        ...(o.github ? { kind: 'github' as const } : {}),
        ...(o.issuer ? { issuer: o.issuer } : {}),
        ...(o.apiUrl ? { apiUrl: o.apiUrl } : {}),
        clientId: o.clientId,
        ...(o.label ? { label: o.label } : {}),
        ...(allow.length ? { allow } : {}),
      };
      // Bad input is refused before anyone types a secret.
      parseInput(oidcProviderAddSchema.omit({ clientSecret: true }), input, 'provider');
      if (!o.github && !o.issuer)
        throw new InfraktError('VALIDATION', 'an OpenID Connect provider needs --issuer URL', {
          hint: 'or --github for GitHub',
        });
      const secret = await readSecretInput(`client secret for ${name}`);
      await withCtx(async (ctx) => {
        const p = await addOidcProvider(ctx, { ...input, clientSecret: secret.reveal() });
        if (o.json) return printJson(p);
        success(`added sign-in provider ${c.bold(p.name)} (${p.issuer})`);
        info(`register this redirect URI at the provider: <dashboard URL>/api/auth/oidc/${p.name}/callback`);
      });
    });

  oidc
    .command('list')
    .description('list sign-in providers (never their client secrets)')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rows = await listProviders(ctx);
        if (o.json) return printJson(rows);
        printTable(
          ['NAME', 'KIND', 'ISSUER', 'CLIENT ID', 'LABEL', 'ALLOW'],
          rows.map((p) => [
            p.name,
            p.kind,
            p.issuer,
            p.clientId,
            p.label,
            p.allow.length ? p.allow.map((r) => `${r.match}=${r.role}`).join(',') : 'existing users only',
          ]),
          'no sign-in providers — add one with: infrakt oidc add NAME --issuer URL --client-id ID',
        );
      });
    });

  oidc
    .command('remove <name>')
    .description('remove a sign-in provider (open sessions stay until they end)')
    .option('-y, --yes', 'answer yes to the confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      if (!o.yes)
        await confirm(`Remove sign-in provider ${name}?`, `pass -y/--yes to remove '${name}' without confirmation`);
      await withCtx(async (ctx) => {
        const r = await removeProvider(ctx, name);
        if (o.json) return printJson(r);
        success(`removed sign-in provider ${c.bold(r.removed)}`);
      });
    });
}
