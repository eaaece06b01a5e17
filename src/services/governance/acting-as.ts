import type { Principal } from '../../core/access.js';
import type { Ctx } from '../shared/context.js';
import { governedJobs } from './governed-jobs.js';

/**
 * The context of something that acts on its own (a signed webhook delivery, the poller of `infrakt serve`): its own
 * principal and actor, and the job runner governed for that principal, so approval policies and the resource
 * lifecycle apply to it as to a person (a held deploy names it as the requester).
 */
export function actingAs(ctx: Ctx, principal: Principal, actor: string): Ctx {
  const acting: Ctx = { ...ctx, principal, actor };
  (acting as { jobs: Ctx['jobs'] }).jobs = governedJobs(ctx.jobs, () => acting);
  return acting;
}

/**
 * A webhook delivery signed with its app's secret: deploy level on the app's server, limited to that app — or, for a
 * pull request event, to the server (its preview is a new app there, created like any app on that server).
 */
export function webhookPrincipal(server: string, apps: readonly string[] | null, provider: string): Principal {
  return {
    kind: 'system',
    id: `system:webhook:${server}${apps ? `/${apps[0]}` : ''}`,
    name: `webhook (${provider})`,
    level: 'deploy',
    servers: [server],
    apps,
  };
}
