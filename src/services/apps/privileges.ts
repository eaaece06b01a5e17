import type { AppRow } from '../../adapters/store/schema.js';
import {
  PRIVILEGE_CLASSES,
  type PrivilegeClass,
  type PrivilegedField,
  privilegedComposeFindings,
} from '../../core/compose-privileges.js';
import { InfraktError } from '../../core/errors.js';
import { parseComposeFile } from '../../core/plans/deploy-compose.js';
import type { AppPrivilegesView } from '../../core/schemas/views/apps.js';
import { assertLevel, isAdmin, principalOf } from '../shared/access.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { resolveApp } from './apps.js';

/** What a compose file is checked for: who set or fetched it, and what an admin allowed for the app. */
export interface ComposeCheck {
  /** The classes an admin allowed for this app (`app update --allow-privileged`). */
  allowed: readonly PrivilegeClass[];
  /** Checked even for an admin: a file nobody vetted (a repository's own compose file on a webhook/poll/preview). */
  untrusted?: boolean;
  /** Where the file came from, for the message: `a compose file`, `the repository's compose.yml`. */
  source?: string;
  /** What else the caller can do, before asking an admin for the class (default: `remove it`). */
  instead?: string;
}

/**
 * A compose file from someone below admin may not ask for what gives root on the server (privileged, capabilities,
 * host namespaces, devices, the Docker socket, host bind mounts) beyond the classes an admin allowed for the app:
 * refused before anything is stored or started, naming the field. Admins (the owner / local CLI) may set any.
 */
export function assertComposeAllowed(ctx: Ctx, content: string, check: ComposeCheck = { allowed: [] }): void {
  if (isAdmin(ctx) && !check.untrusted) return;
  const refused = refusedFields(privilegedComposeFindings(parseComposeFile(content)), check.allowed);
  if (refused.length === 0) return;
  const fields = refused.map((f) => f.field);
  const classes = [...new Set(refused.map((f) => f.class))];
  const who = check.untrusted && isAdmin(ctx) ? `a deploy by ${principalOf(ctx).name}` : principalOf(ctx).name;
  throw new InfraktError(
    'FORBIDDEN',
    `${who} may not set ${fields[0]} in ${check.source ?? 'a compose file'}: it gives root on the server${
      fields.length > 1 ? ` (also: ${fields.slice(1).join(', ')})` : ''
    }`,
    {
      hint: `${check.instead ?? 'remove it'}, or ask an admin to allow it for this app: infrakt app update <app> --allow-privileged ${classes.join(',')}`,
      details: { fields, classes, need: 'admin', have: principalOf(ctx).level },
    },
  );
}

/** The findings outside what was allowed. */
export function refusedFields(found: readonly PrivilegedField[], allowed: readonly PrivilegeClass[]) {
  return found.filter((f) => !allowed.includes(f.class));
}

/** `cap_add,docker_socket` or `none` (CLI, API) → the classes, sorted and unique; an unknown name is refused. */
export function parsePrivilegeClasses(input: string | readonly string[]): PrivilegeClass[] {
  const names = (typeof input === 'string' ? input.split(',') : [...input]).map((s) => s.trim()).filter(Boolean);
  if (names.length === 1 && names[0] === 'none') return [];
  const bad = names.filter((n) => !(PRIVILEGE_CLASSES as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) {
    throw new InfraktError(
      'VALIDATION',
      names.length === 0 ? 'name the privileged options to allow, or none' : `unknown privileged option '${bad[0]}'`,
      { hint: `one or more of ${PRIVILEGE_CLASSES.join(', ')} (comma-separated), or none` },
    );
  }
  return PRIVILEGE_CLASSES.filter((c) => names.includes(c));
}

/** The classes an admin allowed for the app (none when never set). */
export async function allowedPrivileges(ctx: Pick<Ctx, 'store'>, appId: number): Promise<PrivilegeClass[]> {
  const row = await ctx.store.db
    .selectFrom('app_privileges')
    .select('classes')
    .where('app_id', '=', appId)
    .executeTakeFirst();
  return row ? parsePrivilegeClasses(row.classes || 'none') : [];
}

/**
 * `app update --allow-privileged` / `PUT /api/apps/:name/privileges`: admins only (the route table says so too;
 * this guards the CLI over a token and MCP). Replaces the app's allowance; audited with what changed.
 */
export async function setAppPrivileges(
  ctx: Ctx,
  name: string,
  classes: readonly PrivilegeClass[],
  opts: { server?: string | undefined } = {},
): Promise<AppPrivilegesView> {
  assertLevel(ctx, 'admin', 'allow privileged compose options');
  const { app, server } = await resolveApp(ctx, name, opts.server);
  const before = await allowedPrivileges(ctx, app.id);
  const allowed = PRIVILEGE_CLASSES.filter((c) => classes.includes(c));
  await writeAllowance(ctx, app, allowed);
  const added = allowed.filter((c) => !before.includes(c));
  const removed = before.filter((c) => !allowed.includes(c));
  await audit(ctx, 'app.privileges', `${server.name}/${app.name}`, { allowed, added, removed });
  return { app: app.name, server: server.name, allowed, added, removed };
}

async function writeAllowance(ctx: Ctx, app: AppRow, allowed: readonly PrivilegeClass[]) {
  if (allowed.length === 0) {
    await ctx.store.db.deleteFrom('app_privileges').where('app_id', '=', app.id).execute();
    return;
  }
  const row = { classes: allowed.join(','), granted_by: principalOf(ctx).id, updated_at: nowIso(ctx) };
  await ctx.store.db
    .insertInto('app_privileges')
    .values({ app_id: app.id, ...row })
    .onConflict((oc) => oc.column('app_id').doUpdateSet(row))
    .execute();
}

/**
 * The check of a repository's own compose file, fetched on the server for a deploy: the deploying principal's,
 * except that automatic deploys (a webhook delivery, the poller: nobody vetted the commit) and pull request
 * previews (anyone's fork) count as non-admin whoever set them up. The app's own allowance applies; a preview
 * app has none unless an admin allows it on that preview.
 */
export async function repoComposeCheck(ctx: Ctx, app: AppRow, file: string): Promise<ComposeCheck> {
  const preview = await ctx.store.db
    .selectFrom('previews')
    .select('id')
    .where('app_id', '=', app.id)
    .executeTakeFirst();
  return {
    allowed: await allowedPrivileges(ctx, app.id),
    untrusted: principalOf(ctx).kind === 'system' || preview !== undefined,
    source: `the repository's ${file}`,
  };
}

/**
 * The check of a kept release's compose file on `app rollback`: as a deploy of that very file would be checked
 * today — against the app's allowance as it is now (not as it was when the release was accepted) and the caller
 * (an admin may roll back to anything, as they may deploy anything). So a release accepted under an allowance an
 * admin has since revoked can no longer be brought back by a deployer, a token or MCP.
 */
export async function rollbackComposeCheck(ctx: Ctx, app: Pick<AppRow, 'id'>, release: number): Promise<ComposeCheck> {
  return {
    allowed: await allowedPrivileges(ctx, app.id),
    source: `the compose file of release ${release}`,
    instead: 'roll back to a release without it, let an admin roll back',
  };
}

/** The classes a compose file needs an allowance for, each once, in the order of PRIVILEGE_CLASSES. */
export function neededPrivileges(content: string): PrivilegeClass[] {
  return classesOf(privilegedComposeFindings(parseComposeFile(content)));
}

const classesOf = (found: readonly { class: PrivilegeClass }[]): PrivilegeClass[] =>
  PRIVILEGE_CLASSES.filter((c) => found.some((f) => f.class === c));

/**
 * A catalog entry's compose file that needs privileged options may be installed or upgraded by an admin only:
 * refused for anyone below before a job exists, naming the fields (the install would record the allowance,
 * which only an admin may grant). Returns the classes it needs (in PRIVILEGE_CLASSES order), for the allowance.
 */
export function catalogComposePrivileges(ctx: Ctx, content: string, entry: string, app: string): PrivilegeClass[] {
  const found = privilegedComposeFindings(parseComposeFile(content));
  const classes = classesOf(found);
  if (found.length === 0 || isAdmin(ctx)) return classes;
  const fields = found.map((f) => f.field);
  throw new InfraktError(
    'FORBIDDEN',
    `${principalOf(ctx).name} may not install ${entry} as ${app}: its compose file sets ${fields[0]}${
      fields.length > 1 ? ` (also: ${fields.slice(1).join(', ')})` : ''
    }, which gives root on the server`,
    {
      hint: `an admin installs it, which allows ${classes.join(',')} for the app`,
      details: { fields, classes, need: 'admin', have: principalOf(ctx).level },
    },
  );
}

/**
 * An admin's catalog install or upgrade allows the app exactly the classes the entry's compose file needs, on top
 * of what the app already had (an upgrade keeps the classes of the releases it can roll back to), so a deployer's
 * later rollback or redeploy of it passes the check as after a hand-set `--allow-privileged`. Audited like one.
 * Returns the classes added (none when nothing was needed or all were allowed already).
 */
export async function allowCatalogPrivileges(
  ctx: Ctx,
  app: AppRow,
  target: string,
  needed: readonly PrivilegeClass[],
  entry: string,
): Promise<PrivilegeClass[]> {
  if (needed.length === 0) return [];
  assertLevel(ctx, 'admin', 'allow privileged compose options');
  const before = await allowedPrivileges(ctx, app.id);
  const added = needed.filter((c) => !before.includes(c));
  if (added.length === 0) return [];
  const allowed = PRIVILEGE_CLASSES.filter((c) => before.includes(c) || needed.includes(c));
  await writeAllowance(ctx, app, allowed);
  await audit(ctx, 'app.privileges', target, { allowed, added, removed: [], by: `catalog ${entry}` });
  return added;
}

/** Puts an app's allowance back as it was (a failed catalog upgrade). */
export async function restoreAllowance(ctx: Ctx, app: AppRow, allowed: readonly PrivilegeClass[]): Promise<void> {
  await writeAllowance(ctx, app, allowed);
}
