import { z } from 'zod';

export const appViewSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    server: z.string(),
    type: z.string(),
    domain: z.string().nullable(),
    port: z.number().int(),
    git: z.string().nullable(),
    branch: z.string().nullable(),
    image: z.string().nullable(),
    status: z.string(),
    currentRelease: z.number().int().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'App' });
export type AppView = z.infer<typeof appViewSchema>;

export const deploymentViewSchema = z
  .object({
    id: z.number().int(),
    release: z.number().int(),
    action: z.string(),
    /** image / git / compose */
    sourceType: z.string(),
    /** Image digest, git commit or compose hash. */
    source: z.string().nullable(),
    status: z.string(),
    current: z.boolean(),
    hostPort: z.number().int().nullable(),
    error: z.string().nullable(),
    /** Last lines of the failed release's containers (scrubbed of the app's variables). */
    logs: z.string().nullable(),
    by: z.string(),
    jobId: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'Deployment' });
export type DeploymentView = z.infer<typeof deploymentViewSchema>;

/** A line of an app's logs (`GET /api/apps/{name}/logs` items, SSE `log` events of the log stream). */
export const appLogLineSchema = z
  .object({ stream: z.enum(['stdout', 'stderr']), line: z.string() })
  .meta({ id: 'LogLine' });
export type AppLogLine = z.infer<typeof appLogLineSchema>;

/** The auth in front of an app's route. The basic auth password (and its hash) is never part of it. */
export const appAuthViewSchema = z
  .object({
    app: z.string(),
    auth: z.enum(['none', 'basic', 'forward']),
    user: z.string().nullable().meta({ description: 'basic auth user' }),
    url: z.string().nullable().meta({ description: 'forward_auth endpoint' }),
    /** False when the app has no route yet: the next deploy renders it. */
    applied: z.boolean().optional(),
  })
  .meta({ id: 'AppAuth' });
export type AppAuthView = z.infer<typeof appAuthViewSchema>;

/** `PUT /api/apps/{name}/auth`: what `app update --auth forward:URL|basic:USER|none` sets. */
export const appAuthBody = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('none'), server: z.string().optional() }),
    z.object({ type: z.literal('forward'), url: z.string().min(1).max(2048), server: z.string().optional() }),
    z.object({
      type: z.literal('basic'),
      user: z.string().min(1).max(64),
      password: z.string().meta({ description: '8-72 bytes; stored as a bcrypt hash, never returned' }),
      server: z.string().optional(),
    }),
  ])
  .meta({ id: 'AppAuthBody' });
export type AppAuthBody = z.input<typeof appAuthBody>;
