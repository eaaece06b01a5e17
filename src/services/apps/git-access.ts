// Private git access of an app: its SSH deploy key (`app deploy-key`), the pinned host key of its SSH git
// host (`--git-host-key`, or pinned on first fetch), and an https token (`--git-token`). Secrets are sealed
// under the master key; views show only public halves and fingerprints.
import { generateDeployKey } from '../../adapters/secrets/deploy-key.js';
import { hostKeyFromLine } from '../../adapters/ssh/host-key.js';
import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import { looksLikeSshGit, parseSshGitRemote, type SshGitRemote } from '../../core/schemas/git-source.js';
import type { DeployKeyView } from '../../core/schemas/views/apps.js';
import { Secret } from '../../core/secret.js';
import { allowsPrivateGit } from '../servers/settings.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { assertPublicGitUrl, type PublicGitUrl } from '../shared/ssrf.js';
import { type AppSettings, appSettings, type GitAccess } from './app-settings.js';
import { resolveApp } from './apps.js';

export type GitRemote =
  | { readonly kind: 'ssh'; readonly remote: SshGitRemote }
  | { readonly kind: 'https'; readonly host: string; readonly port: number }
  | { readonly kind: 'path' };

export function gitRemoteOf(url: string): GitRemote {
  if (url.startsWith('/')) return { kind: 'path' };
  if (looksLikeSshGit(url)) return { kind: 'ssh', remote: parseSshGitRemote(url) };
  const u = new URL(url);
  return { kind: 'https', host: u.hostname.toLowerCase(), port: u.port ? Number(u.port) : 443 };
}

/**
 * What the SSRF check accepted for a network source, for the fetch to pin: an https source's URL and addresses
 * (`git.syncBranch(…, pin)`: curl connects there), or the address an SSH source's host resolved to (ssh connects
 * there, see `git.SshGitPin`).
 */
export type CheckedGitSource =
  | ({ readonly kind: 'https' } & PublicGitUrl)
  | { readonly kind: 'ssh'; readonly host: string; readonly port: number; readonly addresses: string[] };

/**
 * The SSRF check of a git source, before it is stored and again right before each fetch (DNS rebinding): an
 * https or SSH host must resolve only to public addresses, unless the server allows private git hosts. Paths
 * of repositories on the server are not network sources. Returns what the fetch must pin; null when there is
 * nothing to pin (a path, or a server that allows private git hosts, whose names may resolve only there).
 */
export async function assertGitSourceAllowed(
  ctx: Pick<Ctx, 'resolve'>,
  server: Pick<ServerRow, 'settings_json' | 'name'>,
  url: string,
): Promise<CheckedGitSource | null> {
  const remote = gitRemoteOf(url);
  if (remote.kind === 'path' || allowsPrivateGit(server)) return null;
  const opts = ctx.resolve ? { resolve: ctx.resolve } : {};
  if (remote.kind === 'https') return { kind: 'https', ...(await assertPublicGitUrl(url, opts)) };
  const { host, port } = remote.remote;
  try {
    const checked = await assertPublicGitUrl(`https://${host}:${port}/`, opts);
    return { kind: 'ssh', host, port, addresses: checked.addresses };
  } catch (e) {
    if (!(e instanceof InfraktError)) throw e;
    const why = e.message.replace(/^git URL \S+ is not allowed: /, '');
    throw new InfraktError('VALIDATION', `git URL ${url} is not allowed: ${why}`, {
      hint: `use a public git host, or allow private ones on this server: infrakt server set ${server.name} --allow-private-git on`,
    });
  }
}

const deployKeyPurpose = (appId: number) => `app:${appId}:deploy-key`;
const tokenPurpose = (appId: number) => `app:${appId}:git-token`;

/** Reads an app's settings, changes them and writes them back in one transaction (no lost update). */
export async function patchAppSettings(ctx: Ctx, appId: number, fn: (s: AppSettings) => AppSettings): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('apps').select('settings_json').where('id', '=', appId).executeTakeFirstOrThrow();
    const next = fn(appSettings(row));
    await trx
      .updateTable('apps')
      .set({ settings_json: JSON.stringify(next), updated_at: nowIso(ctx) })
      .where('id', '=', appId)
      .execute();
  });
}

/** `SHA256:…` of a `type base64` key. */
export const gitHostKeyFingerprint = (key: string): string => hostKeyFromLine(key)?.fingerprint ?? 'unreadable key';

function deployKeyView(app: AppRow, serverName: string, git: GitAccess, created: boolean): DeployKeyView {
  const k = git.deployKey!;
  return {
    app: app.name,
    server: serverName,
    publicKey: k.publicKey,
    fingerprint: gitHostKeyFingerprint(k.publicKey.split(' ').slice(0, 2).join(' ')),
    createdAt: k.createdAt,
    created,
  };
}

/** Creates the app's deploy key if it has none (or a new one with `rotate`) and stores its private half sealed. */
export async function ensureDeployKey(
  ctx: Ctx,
  app: AppRow,
  serverName: string,
  rotate = false,
): Promise<DeployKeyView> {
  const current = appSettings(app).git ?? {};
  if (current.deployKey && !rotate) return deployKeyView(app, serverName, current, false);
  const pair = generateDeployKey(`infrakt-deploy ${app.name}@${serverName}`);
  const deployKey = {
    publicKey: pair.publicKey,
    sealed: ctx.cipher.seal(deployKeyPurpose(app.id), pair.privateKey),
    createdAt: nowIso(ctx),
  };
  await patchAppSettings(ctx, app.id, (s) => ({ ...s, git: { ...s.git, deployKey } }));
  await audit(ctx, rotate ? 'app.deploy-key.rotate' : 'app.deploy-key.create', `${serverName}/${app.name}`, {});
  return deployKeyView(app, serverName, { ...current, deployKey }, true);
}

/** `app deploy-key APP [--rotate]`: the public half to paste into the git host (created on first use). */
export async function deployKey(
  ctx: Ctx,
  name: string,
  opts: { server?: string; rotate?: boolean } = {},
): Promise<DeployKeyView> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  if (app.app_type !== 'git') {
    throw new InfraktError('VALIDATION', `'${app.name}' is a ${app.app_type} app: deploy keys are for git apps`);
  }
  return ensureDeployKey(ctx, app, server.name, Boolean(opts.rotate));
}

/** The deploy key's private half, for one fetch (the caller registers it as a job secret). */
export function deployKeySecret(ctx: Ctx, app: AppRow): Secret | null {
  const k = appSettings(app).git?.deployKey;
  if (!k) return null;
  return new Secret(ctx.cipher.open(deployKeyPurpose(app.id), k.sealed, `the deploy key of app ${app.name}`));
}

/** The https token and its user name, for one fetch. */
export function gitTokenSecret(ctx: Ctx, app: AppRow): { username: string; token: Secret } | null {
  const t = appSettings(app).git?.token;
  if (!t) return null;
  const token = new Secret(ctx.cipher.open(tokenPurpose(app.id), t.sealed, `the git token of app ${app.name}`));
  return { username: t.username, token };
}

/** The sealed form of a token for the app's settings (`app update --git-token`). */
export const sealGitToken = (ctx: Ctx, appId: number, token: Secret, username: string) => ({
  username,
  sealed: ctx.cipher.seal(tokenPurpose(appId), token.reveal()),
});

/** The pinned host keys of the app's SSH git host, with fingerprints (for views). */
export function pinnedGitHostKeys(git: GitAccess | undefined): { keys: string[]; fingerprints: string[] } {
  const keys = git?.hostKeys ?? [];
  const fingerprints = keys.length
    ? keys.map(gitHostKeyFingerprint)
    : git?.hostKeyFingerprint
      ? [git.hostKeyFingerprint]
      : [];
  return { keys, fingerprints };
}

/**
 * The parent's git access for a preview app of the same repository: its deploy key (the one added to the
 * repository) and pinned host keys, or its https token, sealed again under the preview's own id. Without it a
 * private repository's previews could not be fetched.
 */
export function inheritedGitAccess(ctx: Ctx, parent: AppRow, childId: number): GitAccess | undefined {
  const g = appSettings(parent).git;
  if (!g) return undefined;
  const key = deployKeySecret(ctx, parent);
  const token = gitTokenSecret(ctx, parent);
  return {
    ...(g.hostKeys ? { hostKeys: [...g.hostKeys] } : {}),
    ...(g.hostKeyFingerprint ? { hostKeyFingerprint: g.hostKeyFingerprint } : {}),
    ...(g.deployKey && key
      ? {
          deployKey: {
            publicKey: g.deployKey.publicKey,
            sealed: ctx.cipher.seal(deployKeyPurpose(childId), key.reveal()),
            createdAt: g.deployKey.createdAt,
          },
        }
      : {}),
    ...(token ? { token: sealGitToken(ctx, childId, token.token, token.username) } : {}),
  };
}
