import type { JobSpec } from '../../core/jobs.js';
import type { Ctx } from '../shared/context.js';

export interface DiffLine {
  field: string;
  before: string | null;
  after: string | null;
}

/** The operations a policy may ask approval for: each can be prepared again from its job's params once approved. */
export const APPROVAL_OPERATIONS = [
  'app.deploy',
  'app.rollback',
  'app.destroy',
  'env.push',
  'db.restore',
  'db.destroy',
  'server.provision',
  'server.remove',
] as const;
export type ApprovalOperation = (typeof APPROVAL_OPERATIONS)[number];
export const isApprovalOperation = (kind: string): kind is ApprovalOperation =>
  (APPROVAL_OPERATIONS as readonly string[]).includes(kind);

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** What an operation would change, for the approver's inbox (never a secret: env values are not shown). */
export async function diffFor(ctx: Ctx, spec: JobSpec): Promise<DiffLine[]> {
  const app = spec.appId
    ? await ctx.store.db.selectFrom('apps').selectAll().where('id', '=', spec.appId).executeTakeFirst()
    : undefined;
  const server = spec.serverId
    ? await ctx.store.db.selectFrom('servers').selectAll().where('id', '=', spec.serverId).executeTakeFirst()
    : undefined;
  const last = app
    ? await ctx.store.db
        .selectFrom('deployments')
        .select(['release', 'source_ref', 'status'])
        .where('app_id', '=', app.id)
        .where('status', '=', 'succeeded')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst()
    : undefined;
  const envCount = app
    ? Number(
        (
          await ctx.store.db
            .selectFrom('env_vars')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('app_id', '=', app.id)
            .executeTakeFirstOrThrow()
        ).n,
      )
    : 0;
  const p = spec.params ?? {};
  switch (spec.kind) {
    case 'app.deploy':
      return [
        { field: 'release', before: str(app?.current_release), after: 'a new release' },
        {
          field: 'source',
          before: str(last?.source_ref),
          after:
            app?.image ?? (app?.git_repo ? `${app.git_repo}#${app.branch ?? 'main'} (latest commit)` : 'compose file'),
        },
        { field: 'domain', before: str(app?.domain), after: str(app?.domain) },
      ];
    case 'app.rollback':
      return [{ field: 'release', before: str(app?.current_release), after: str(p.to ?? 'the previous kept release') }];
    case 'env.push':
      return [
        { field: 'environment', before: 'the running release', after: `${envCount} stored variable(s), restarted` },
      ];
    case 'app.destroy':
      return [
        {
          field: 'app',
          before: `${app?.name} on ${server?.name} (release ${str(app?.current_release) ?? 'none'})`,
          after: null,
        },
        { field: 'containers, volumes, networks, images', before: 'present', after: null },
        { field: 'environment variables', before: String(envCount), after: null },
        { field: 'domain', before: str(app?.domain), after: null },
      ];
    case 'db.restore':
      return [{ field: 'data', before: `the current data of ${app?.name}`, after: `backup ${str(p.backup)}` }];
    case 'db.destroy':
      return [
        { field: 'database', before: `${app?.name} (${app?.app_type.slice(3)}) on ${server?.name}`, after: null },
        { field: 'data volume', before: 'present', after: null },
        { field: 'backups', before: 'kept', after: 'kept' },
      ];
    case 'server.provision':
      return [
        { field: 'server', before: `${server?.name} (${server?.host})`, after: 'Docker, Caddy, UFW, fail2ban set up' },
      ];
    case 'server.remove':
      return [
        { field: 'server', before: `${server?.name} (${server?.host})`, after: null },
        { field: 'apps forgotten', before: str(p.apps ?? 0), after: null },
      ];
    default:
      return [{ field: spec.kind, before: null, after: spec.target }];
  }
}
