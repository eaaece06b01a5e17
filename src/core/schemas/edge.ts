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

export const DEFAULT_TUNNEL_USER = 'infrakt-edge';
export const DEFAULT_TUNNEL_PORTS = '20000-29999';

/** `A-B`: the loopback ports devices' reverse forwards may listen on at a meeting point (unprivileged only). */
export const portRangeSchema = z
  .string()
  .trim()
  .regex(/^[0-9]{4,5}-[0-9]{4,5}$/, 'must look like 20000-29999')
  .transform((r) => {
    const [min, max] = r.split('-').map(Number) as [number, number];
    return { min, max };
  })
  .refine((r) => r.min >= 1024 && r.max <= 65535 && r.min <= r.max, {
    message: 'must be a range of ports between 1024 and 65535, low-high',
  });
export type PortRange = z.output<typeof portRangeSchema>;

/** `host` or `host:port` (a bare IPv6 address needs brackets to carry a port: `[2001:db8::1]:2222`). */
export const endpointSchema = z
  .string()
  .trim()
  .transform((e, ctx) => {
    const m = /^\[([0-9a-fA-F:.]+)\](?::([0-9]{1,5}))?$/.exec(e) ?? /^([^:]+)(?::([0-9]{1,5}))?$/.exec(e);
    const host = m ? hostSchema.safeParse(m[1]) : null;
    const port = portSchema.safeParse(m?.[2] ?? 22);
    if (!host?.success || !port.success) {
      ctx.addIssue({ code: 'custom', message: 'must be host or host:port, e.g. ctl.example.com:22' });
      return z.NEVER;
    }
    return { host: host.data, port: port.data };
  });

/**
 * A path sshd can run `cat` on from `AuthorizedKeysCommand`: absolute, and nothing sshd would split or expand
 * (whitespace, quotes, `%` tokens).
 */
export const keysFileSchema = z
  .string()
  .regex(
    /^\/[A-Za-z0-9._+/-]*$/,
    'must be an absolute path of letters, digits and "._+-/" (sshd reads it through AuthorizedKeysCommand)',
  )
  .refine((p) => !p.split('/').includes('..'), { message: 'must not contain ".."' });

export const edgeSetupSchema = z.object({
  endpoint: endpointSchema,
  tunnelUser: sshUserSchema.default(DEFAULT_TUNNEL_USER),
  ports: portRangeSchema.prefault(DEFAULT_TUNNEL_PORTS),
  /** Public key files of the control host's sshd (default: /etc/ssh/ssh_host_*_key.pub). */
  hostKeyFiles: z.array(z.string().min(1).max(4096)).max(16).optional(),
});
export type EdgeSetupInput = z.input<typeof edgeSetupSchema>;

export const relayAddSchema = z.object({
  name: nameSchema,
  host: hostSchema,
  port: portSchema.default(22),
  user: sshUserSchema.default('root'),
  keyPath: z.string().min(1).max(4096).optional(),
  fingerprint: fingerprintSchema.optional(),
  tunnelUser: sshUserSchema.default(DEFAULT_TUNNEL_USER),
  /** Default: `~/.infrakt-edge/authorized_keys` of `user` on the relay. */
  keysFile: keysFileSchema.optional(),
  ports: portRangeSchema.prefault(DEFAULT_TUNNEL_PORTS),
});
export type RelayAddInput = z.input<typeof relayAddSchema>;

export const edgeServerAddSchema = z.object({
  name: nameSchema,
  /** Meet at this relay instead of the control host. */
  relay: nameSchema.optional(),
  /** The account infrakt logs in as on the device. */
  user: sshUserSchema.default('root'),
  /** The device's own sshd port (what the reverse forward leads to). */
  devicePort: portSchema.default(22),
  keyPath: z.string().min(1).max(4096).optional(),
  provider: providerSchema.optional(),
  root: remoteRootSchema.default('/opt/infrakt'),
});
export type EdgeServerAddInput = z.input<typeof edgeServerAddSchema>;
