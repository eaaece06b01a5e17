import { prepareEnvPush } from '../../services/apps/env-push.js';
import type { Api, RouteDeps } from '../route-kit.js';
import { appJobRoute } from './app-job-route.js';

const tags = ['apps'];

/** `POST /api/apps/{name}/env/push` (services/apps/env-push); registered before the `env/{key}` routes. */
export function envPushRoutes(api: Api, deps: RouteDeps): void {
  appJobRoute(
    api,
    tags,
    '/api/apps/{name}/env/push',
    "Restart the current release with the app's variables as stored now (health-gated switch)",
    async (c, name, o) => deps.startPlan(c, await prepareEnvPush(c.var.ctx, name, o)),
  );
}
