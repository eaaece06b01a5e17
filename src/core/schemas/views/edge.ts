import { z } from 'zod';

export const TUNNEL_STATES = ['connected', 'waiting', 'unknown'] as const;
export type TunnelState = (typeof TUNNEL_STATES)[number];

/** An edge server's tunnel: where it meets infrakt and whether it is up now. */
export const edgeInfoSchema = z
  .object({
    /** null: the device dials the control host itself; else the relay's name. */
    relay: z.string().nullable(),
    /** The loopback port of its reverse forward (on the control host, or on the relay). */
    tunnelPort: z.number().int(),
    deviceSshPort: z.number().int(),
    /** `connected`: its sshd answers through the forward now; `waiting`: the device has not dialled in; `unknown`: the relay could not be asked. */
    tunnel: z.enum(TUNNEL_STATES),
    /** Why the state is unknown (the relay's error), else null. */
    tunnelError: z.string().nullable(),
    lastSeenAt: z.string().nullable(),
  })
  .meta({ id: 'EdgeInfo' });
export type EdgeInfo = z.infer<typeof edgeInfoSchema>;

const hostKeyViewSchema = z.object({ type: z.string(), fingerprint: z.string() });

/** How a meeting point's sshd has to be set up, for people (`instructions`) and for scripts. */
const sshdSetupSchema = z.object({
  tunnelUser: z.string(),
  keysFile: z.string(),
  keysUser: z.string(),
  userCommands: z.array(z.string()),
  sshdConfig: z.string(),
  instructions: z.string(),
});

export const edgeControlViewSchema = z
  .object({
    endpoint: z.object({ host: z.string(), port: z.number().int() }),
    hostKeys: z.array(hostKeyViewSchema),
    ports: z.object({ min: z.number().int(), max: z.number().int() }),
    devices: z.number().int(),
    sshd: sshdSetupSchema,
  })
  .meta({ id: 'EdgeControl' });
export type EdgeControlView = z.infer<typeof edgeControlViewSchema>;

export const relayViewSchema = z
  .object({
    name: z.string(),
    host: z.string(),
    port: z.number().int(),
    user: z.string(),
    keyPath: z.string().nullable(),
    hostKeyFingerprint: z.string(),
    ports: z.object({ min: z.number().int(), max: z.number().int() }),
    devices: z.number().int(),
    sshd: sshdSetupSchema,
    createdAt: z.string(),
  })
  .meta({ id: 'EdgeRelay' });
export type RelayView = z.infer<typeof relayViewSchema>;
