import { z } from 'zod';

/** A private registry a server is logged in to (the password never leaves the local state). */
export const registryViewSchema = z
  .object({
    server: z.string(),
    host: z.string(),
    username: z.string(),
    loggedInAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Registry' });
export type RegistryView = z.infer<typeof registryViewSchema>;

export const registryRemovedSchema = z
  .object({ server: z.string(), host: z.string(), removed: z.boolean() })
  .meta({ id: 'RegistryRemoved' });
export type RegistryRemoved = z.infer<typeof registryRemovedSchema>;
