import type { Level } from '../../core/access.js';

/**
 * Who may call each route: the one table (the API refuses to start when a registered route is missing from it,
 * and test/unit/api-authz-matrix.test.ts walks every route with every role and token scope against it).
 *   public  no credentials (sign-in, health)
 *   self    any signed-in principal (who am I, sign out)
 *   read | deploy | admin   that access level or more (core/access.ts); scope to servers/apps is checked by the
 *                            services on the resource each request names
 */
export type RoutePermission = 'public' | 'self' | Level;

export const ROUTE_PERMISSIONS: Readonly<Record<string, RoutePermission>> = {
  'GET /api/health': 'public',
  'GET /api/openapi.json': 'public',
  'GET /api/dashboard': 'read',

  'POST /api/auth/login': 'public',
  'GET /api/auth/providers': 'public',
  'GET /api/auth/oidc/:provider/start': 'public',
  'GET /api/auth/oidc/:provider/callback': 'public',
  'GET /api/auth/me': 'self',
  'POST /api/auth/logout': 'self',
  'POST /api/auth/logout-all': 'self',
  'PUT /api/auth/password': 'self',

  'GET /api/users': 'admin',
  'POST /api/users': 'admin',
  'PATCH /api/users/:name': 'admin',
  'DELETE /api/users/:name': 'admin',
  'PUT /api/users/:name/password': 'admin',
  'GET /api/oidc/providers': 'admin',
  'POST /api/oidc/providers': 'admin',
  'DELETE /api/oidc/providers/:name': 'admin',
  'GET /api/tokens': 'admin',
  'POST /api/tokens': 'admin',
  'DELETE /api/tokens/:name': 'admin',
  'GET /api/audit': 'admin',
  'GET /api/audit/verify': 'admin',
  'GET /api/policies': 'read',
  'PUT /api/policies': 'admin',
  'DELETE /api/policies': 'admin',
  'GET /api/approvals': 'read',
  'GET /api/approvals/:id': 'read',
  'POST /api/approvals/:id/approve': 'admin',
  'POST /api/approvals/:id/reject': 'admin',

  'GET /api/servers': 'read',
  'POST /api/servers': 'admin',
  'GET /api/servers/:name': 'read',
  'DELETE /api/servers/:name': 'admin',
  'POST /api/servers/:name/test': 'admin',
  'POST /api/servers/:name/trust': 'admin',
  'GET /api/servers/:name/status': 'read',
  'POST /api/servers/:name/provision': 'admin',
  'POST /api/servers/:name/exec': 'admin',
  'GET /api/servers/:name/proxy/routes': 'read',
  'POST /api/servers/:name/proxy/routes': 'admin',
  'DELETE /api/servers/:name/proxy/routes/:domain': 'admin',
  'POST /api/servers/:name/proxy/reload': 'admin',
  'POST /api/servers/:name/proxy/setup': 'admin',
  'GET /api/servers/:name/proxy': 'read',
  'PUT /api/servers/:name/proxy/settings': 'admin',

  'GET /api/apps': 'read',
  'POST /api/apps': 'admin',
  'GET /api/apps/:name': 'read',
  'PATCH /api/apps/:name': 'deploy',
  'DELETE /api/apps/:name': 'admin',
  'POST /api/apps/:name/deploy': 'deploy',
  'POST /api/apps/:name/rollback': 'deploy',
  'GET /api/apps/:name/deployments': 'read',
  'POST /api/apps/:name/restart': 'deploy',
  'POST /api/apps/:name/stop': 'deploy',
  'GET /api/apps/:name/logs': 'read',
  'GET /api/apps/:name/logs/stream': 'read',
  'POST /api/apps/:name/env/push': 'deploy',
  'GET /api/apps/:name/env': 'read',
  'PUT /api/apps/:name/env': 'deploy',
  'DELETE /api/apps/:name/env/:key': 'deploy',
  'POST /api/apps/:name/env/:key/reveal': 'deploy',
  'POST /api/apps/:name/env/reveal': 'deploy',
  'POST /api/apps/:name/catalog-upgrade': 'admin',
  'GET /api/apps/:name/catalog': 'read',
  // Outputs with secret values masked; revealing them is like revealing env values.
  'GET /api/apps/:name/catalog/outputs': 'read',
  'POST /api/apps/:name/catalog/outputs/reveal': 'deploy',
  'GET /api/apps/:name/ps': 'read',
  'POST /api/apps/:name/scale': 'deploy',
  // Swarm clusters span servers: creating, changing and destroying one is an admin's, like adding a server.
  'GET /api/clusters': 'read',
  'GET /api/clusters/:name': 'read',
  'POST /api/clusters': 'admin',
  'POST /api/clusters/:name/destroy': 'admin',
  'POST /api/clusters/:name/nodes': 'admin',
  'DELETE /api/clusters/:name/nodes/:server': 'admin',
  'POST /api/edge/servers': 'admin',
  'GET /api/apps/:name/auth': 'read',
  // The app's own sign-in (basic auth in front of it): app configuration, like its env.
  'PUT /api/apps/:name/auth': 'deploy',

  // Push to deploy (main's issue 16). The delivery itself carries no credentials: each must be signed with its app's
  // secret (routes/webhooks.ts), and acts as a principal limited to that app and its previews.
  'POST /api/webhooks/:hookId': 'public',
  'GET /api/apps/:name/webhook': 'read',
  'GET /api/apps/:name/webhook/deliveries': 'read',
  // Enabling shows the secret; reveal/rotate hand it out: deploy-level app configuration, like revealing env values.
  'POST /api/apps/:name/webhook': 'deploy',
  'POST /api/apps/:name/webhook/reveal': 'deploy',
  'POST /api/apps/:name/webhook/rotate': 'deploy',
  'DELETE /api/apps/:name/webhook': 'deploy',
  // Everyday operations (issue 12): running code in an app is what deploying it does already; a root shell on
  // a server, its connection settings and registry logins are the admin's.
  'GET /api/apps/:name/settings': 'read',
  'POST /api/apps/:name/start': 'deploy',
  'POST /api/apps/:name/forget': 'admin',
  'GET /api/apps/:name/deploy-key': 'read',
  'POST /api/apps/:name/deploy-key': 'deploy',
  'POST /api/apps/:name/env/import': 'deploy',
  'POST /api/apps/:name/env/export': 'deploy',
  'POST /api/apps/:name/exec': 'deploy',
  'POST /api/apps/:name/terminal': 'deploy',
  'GET /api/apps/:name/cron': 'read',
  'POST /api/apps/:name/cron': 'deploy',
  'POST /api/apps/:name/cron/:task/run': 'deploy',
  'DELETE /api/apps/:name/cron/:task': 'deploy',
  'PATCH /api/servers/:name': 'admin',
  'PATCH /api/servers/:name/settings': 'admin',
  'POST /api/servers/:name/terminal': 'admin',
  'GET /api/servers/:name/registries': 'read',
  'POST /api/servers/:name/registries': 'admin',
  'DELETE /api/servers/:name/registries/:host': 'admin',
  'GET /api/apps/:name/auto-deploy': 'read',
  'PUT /api/apps/:name/auto-deploy': 'deploy',
  // Privileged compose options allowed per app hand out root on the server: admins only.
  'PUT /api/apps/:name/privileges': 'admin',
  'GET /api/apps/:name/previews': 'read',
  'GET /api/apps/:name/previews/settings': 'read',
  'PUT /api/apps/:name/previews/settings': 'deploy',

  // Monitoring: history and states are reads (the overview shows only targets in the caller's scope).
  'GET /api/monitoring': 'read',
  'GET /api/apps/:name/health': 'read',
  'GET /api/servers/:name/metrics': 'read',
  // Notification channels are global settings (where alerts about every server and app go): changing or testing one
  // is admin. Their list shows no secret (only the URL's origin, mail recipients): a read. The delivery log carries
  // every app's events and the receivers' errors, whatever the caller's scope: admin.
  'GET /api/notify/channels': 'read',
  'POST /api/notify/channels': 'admin',
  'DELETE /api/notify/channels/:name': 'admin',
  'POST /api/notify/channels/:name/test': 'admin',
  'GET /api/notify/deliveries': 'admin',

  'GET /api/databases': 'read',
  'POST /api/databases': 'admin',
  'GET /api/databases/:name': 'read',
  'DELETE /api/databases/:name': 'admin',
  'GET /api/databases/:name/backups': 'read',
  'POST /api/databases/:name/backups': 'admin',
  'POST /api/databases/:name/restore': 'admin',
  'PUT /api/databases/:name/schedule': 'admin',
  'GET /api/databases/:name/snapshots': 'read',

  'GET /api/backup-targets': 'read',
  'POST /api/backup-targets': 'admin',
  'DELETE /api/backup-targets/:name': 'admin',
  'POST /api/backup-targets/:name/test': 'admin',
  'POST /api/backup-targets/:name/verify': 'admin',
  'GET /api/backups/overview': 'read',
  'GET /api/apps/:name/backups': 'read',
  // A backup only adds a snapshot; a restore overwrites the app's volumes: admin, like a database restore.
  'POST /api/apps/:name/backups': 'deploy',
  'POST /api/apps/:name/restore': 'admin',

  'GET /api/jobs': 'read',
  'GET /api/jobs/:id': 'read',
  'GET /api/jobs/:id/logs': 'read',
  'GET /api/jobs/:id/events': 'read',
  'POST /api/jobs/:id/cancel': 'deploy',
  'POST /api/jobs/:id/credentials': 'admin',

  'GET /api/catalog': 'read',
  'GET /api/catalog/stacks': 'read',
  'GET /api/catalog/:id': 'read',
  'POST /api/catalog/:id/install': 'admin',
  'POST /api/catalog/stacks/:name/install': 'admin',
  'POST /api/catalog/installs/:id/outputs': 'admin',
  'GET /api/catalog/installed': 'read',
  'DELETE /api/catalog/installed/:name': 'admin',
};

export const routeKey = (method: string, path: string): string => `${method.toUpperCase()} ${path}`;

/** Registered routes missing from the table, and table entries no route has (both are bugs). */
export function tableProblems(registered: readonly { method: string; path: string }[]): {
  missing: string[];
  stale: string[];
} {
  const keys = new Set(registered.map((r) => routeKey(r.method, r.path)));
  return {
    missing: [...keys].filter((k) => !(k in ROUTE_PERMISSIONS)).sort(),
    stale: Object.keys(ROUTE_PERMISSIONS)
      .filter((k) => !keys.has(k))
      .sort(),
  };
}
