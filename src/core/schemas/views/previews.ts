import { z } from 'zod';

export const previewSettingsViewSchema = z
  .object({
    app: z.string(),
    enabled: z.boolean(),
    /** Previews are served at `pr-<n>.<domain>`. */
    domain: z.string().nullable(),
    max: z.number().int().nullable().describe('Concurrent previews allowed; further pull requests are ignored'),
    /** Keys of the preview overrides (values are never shown). */
    envKeys: z.array(z.string()),
  })
  .meta({ id: 'PreviewSettings' });
export type PreviewSettingsView = z.infer<typeof previewSettingsViewSchema>;

export const previewViewSchema = z
  .object({
    pr: z.number().int(),
    app: z.string().nullable().describe('The preview app (<app>-pr-<n>); null once destroyed'),
    domain: z.string(),
    commit: z.string(),
    ref: z.string().nullable(),
    status: z.string().describe('deploying, running, failed or closing'),
    jobId: z.string().nullable(),
    error: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Preview' });
export type PreviewView = z.infer<typeof previewViewSchema>;
