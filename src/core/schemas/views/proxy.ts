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

/** The certificate Caddy serves for a domain, read by a TLS handshake through the server (`proxy status`). */
export const certificateViewSchema = z
  .object({
    domain: z.string(),
    issuer: z.string().nullable(),
    notAfter: z.string().nullable(),
    daysLeft: z.number().int().nullable(),
    /** Why no certificate could be read (no TLS handshake yet, not issued …). */
    error: z.string().nullable(),
  })
  .meta({ id: 'Certificate' });
export type CertificateView = z.infer<typeof certificateViewSchema>;

export const proxyStatusSchema = z
  .object({
    server: z.string(),
    running: z.boolean(),
    adminAddress: z.string(),
    configPath: z.string(),
    /** The file on the server equals what the store renders (no drift, no pending change). */
    inSync: z.boolean(),
    routes: z.array(proxyRouteViewSchema),
    /** Per routed domain (empty with `tls off`): issuer and expiry of the certificate served. */
    certificates: z.array(certificateViewSchema),
  })
  .meta({ id: 'ProxyStatus' });
export type ProxyStatus = z.infer<typeof proxyStatusSchema>;
