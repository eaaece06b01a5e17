import { z } from 'zod';
import { PROXY_TLS_MODES } from '../server.js';

export const proxySettingsViewSchema = z
  .object({
    tls: z.enum(PROXY_TLS_MODES),
    httpPort: z.number().int(),
    httpsPort: z.number().int(),
    adminAddress: z.string(),
  })
  .meta({ id: 'ProxySettings' });
export type ProxySettingsView = z.infer<typeof proxySettingsViewSchema>;

export const proxyRouteViewSchema = z
  .object({ domain: z.string(), upstreamPort: z.number().int(), app: z.string().nullable() })
  .meta({ id: 'ProxyRoute' });
export type ProxyRouteView = z.infer<typeof proxyRouteViewSchema>;

export const proxyStatusSchema = z
  .object({
    server: z.string(),
    running: z.boolean(),
    adminAddress: z.string(),
    configPath: z.string(),
    /** The file on the server equals what the store renders (no drift, no pending change). */
    inSync: z.boolean(),
    routes: z.array(proxyRouteViewSchema),
  })
  .meta({ id: 'ProxyStatus' });
export type ProxyStatus = z.infer<typeof proxyStatusSchema>;
