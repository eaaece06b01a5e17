import { z } from 'zod';
import {
  fingerprintSchema,
  hostSchema,
  nameSchema,
  portSchema,
  providerSchema,
  remoteRootSchema,
  sshUserSchema,
} from './common.js';

export const PROXY_TLS_MODES = ['auto', 'internal', 'off'] as const;
export type ProxyTlsMode = (typeof PROXY_TLS_MODES)[number];

/** Per-server proxy settings: production defaults; tests and private networks move ports / TLS. */
export const proxySettingsSchema = z.object({
  tls: z.enum(PROXY_TLS_MODES).default('auto'),
  httpPort: portSchema.default(80),
  httpsPort: portSchema.default(443),
  adminAddress: z
    .string()
    .regex(/^(localhost|127\.0\.0\.1|\[::1\]):[0-9]{1,5}$/, 'must be a loopback address such as localhost:2019')
    .refine((a) => {
      const port = Number(a.slice(a.lastIndexOf(':') + 1));
      return port >= 1 && port <= 65535;
    }, 'the port must be between 1 and 65535')
    .default('localhost:2019'),
});
export type ProxySettings = z.output<typeof proxySettingsSchema>;

export const serverAddSchema = z.object({
  name: nameSchema,
  host: hostSchema,
  user: sshUserSchema.default('root'),
  port: portSchema.default(22),
  keyPath: z.string().min(1).max(4096).optional(),
  provider: providerSchema.optional(),
  root: remoteRootSchema.default('/opt/infrakt'),
  fingerprint: fingerprintSchema.optional(),
});
export type ServerAddInput = z.input<typeof serverAddSchema>;
export type ServerAdd = z.output<typeof serverAddSchema>;

export const SERVER_STATUSES = [
  'unknown',
  'active',
  'unreachable',
  'auth_failed',
  'host_key_mismatch',
  'provisioning',
  'failed',
] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];
