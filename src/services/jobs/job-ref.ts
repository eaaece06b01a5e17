// A job as people name it: its full id, a unique prefix of it (as `docker` takes container ids), or `last`.
// The faces turn a reference into an id here, then call the job runner with the id.
import { sql } from 'kysely';
import { InfraktError } from '../../core/errors.js';
import type { Ctx } from '../shared/context.js';
import { type JobScope, jobScope } from './job-access.js';

/** Ids are `j_<base36 time><hex>`; a reference may leave out the `j_`. */
const REF_RE = /^[A-Za-z0-9_]{1,64}$/;
const SHOWN = 10;

type RefCtx = Pick<Ctx, 'store' | 'principal'>;

/** The jobs query, narrowed to the caller's servers/apps: `last` and prefixes never name a job it may not see. */
function jobsOf(ctx: RefCtx, scope: JobScope | null) {
  let q = ctx.store.db.selectFrom('jobs');
  if (scope?.serverIds) q = q.where('server_id', 'in', scope.serverIds.length ? [...scope.serverIds] : [-1]);
  if (scope?.appIds) q = q.where('app_id', 'in', scope.appIds.length ? [...scope.appIds] : [-1]);
  return q;
}

/** The newest job's id (by creation) the caller may see, or NOT_FOUND when there is none. */
async function lastJobId(ctx: RefCtx, scope: JobScope | null): Promise<string> {
  const row = await jobsOf(ctx, scope)
    .select('id')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row)
    throw new InfraktError('NOT_FOUND', 'there are no jobs yet', {
      hint: 'jobs appear once you deploy, provision, back up …',
    });
  return row.id;
}

/**
 * The id of the job `ref` names: `last`, an exact id, or a prefix matching exactly one job (with or without
 * `j_`). An ambiguous prefix fails with the candidates listed, newest first; nothing matching is NOT_FOUND. Only
 * jobs in the caller's scope count (services/jobs/job-access.ts): others are as if they did not exist.
 */
export async function resolveJobRef(ctx: RefCtx, ref: string): Promise<string> {
  const r = ref.trim();
  const scope = await jobScope(ctx);
  if (r === 'last') return lastJobId(ctx, scope);
  if (!REF_RE.test(r)) {
    throw new InfraktError('VALIDATION', `'${r.slice(0, 80)}' is not a job id`, {
      hint: 'give a job id, a unique start of one, or last (see infrakt job list)',
    });
  }
  const exact = await jobsOf(ctx, scope).select('id').where('id', '=', r).executeTakeFirst();
  if (exact) return exact.id;
  const prefix = r.startsWith('j_') ? r : `j_${r}`;
  const rows = await jobsOf(ctx, scope)
    .select(['id', 'kind', 'target', 'created_at'])
    .where(sql<number>`instr(id, ${prefix})`, '=', 1) // a literal prefix (no LIKE wildcards)
    .orderBy('created_at', 'desc')
    .limit(SHOWN + 1)
    .execute();
  if (rows.length === 1) return rows[0]!.id;
  if (rows.length === 0) {
    throw new InfraktError('NOT_FOUND', `no job with an id starting with '${r}'`, { hint: 'see infrakt job list' });
  }
  const listed = rows.slice(0, SHOWN).map((j) => `${j.id} (${j.kind} ${j.target}, ${j.created_at})`);
  const more = rows.length > SHOWN ? ' and more' : '';
  throw new InfraktError('VALIDATION', `'${r}' is ambiguous: it starts ${listed.length}${more} job ids`, {
    hint: `give more characters of one of:\n  ${listed.join('\n  ')}`,
    details: { candidates: rows.slice(0, SHOWN).map((j) => j.id) },
  });
}
