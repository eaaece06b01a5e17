import {
  atLeast,
  inScope,
  isUnlimited,
  type Level,
  levelError,
  ownerPrincipal,
  type Principal,
  scopeError,
} from '../../core/access.js';
import type { Ctx } from './context.js';

/** The acting principal: the one the face put in the context, else whoever runs this process (the CLI: no limits). */
export const principalOf = (ctx: Pick<Ctx, 'principal'>): Principal => ctx.principal ?? ownerPrincipal('cli');

/** Refuses a target outside the principal's servers/apps (FORBIDDEN). Every resolver of a named resource calls it. */
export function assertInScope(ctx: Pick<Ctx, 'principal'>, target: { server?: string; app?: string }): void {
  const p = principalOf(ctx);
  if (!inScope(p, target)) throw scopeError(p, target);
}

/** Refuses a principal below `need` (FORBIDDEN). Routes are checked by the route table; this is for fields within. */
export function assertLevel(ctx: Pick<Ctx, 'principal'>, need: Level, what: string): void {
  const p = principalOf(ctx);
  if (!atLeast(p.level, need)) throw levelError(p, need, what);
}

export const isAdmin = (ctx: Pick<Ctx, 'principal'>): boolean => atLeast(principalOf(ctx).level, 'admin');

/** Keeps the rows a scoped principal may see (lists); an unlimited one sees all. */
export function visible<T>(
  ctx: Pick<Ctx, 'principal'>,
  rows: T[],
  target: (row: T) => { server?: string; app?: string },
) {
  const p = principalOf(ctx);
  return isUnlimited(p) ? rows : rows.filter((r) => inScope(p, target(r)));
}
