import { z } from 'zod';

/** Env var values are masked with this everywhere except an explicit reveal. */
export const MASK = '********';

export const envEntrySchema = z
  .object({
    key: z.string(),
    value: z.string().describe('Masked (********) unless revealed'),
    updatedAt: z.string(),
  })
  .meta({ id: 'EnvEntry' });
export type EnvEntry = z.infer<typeof envEntrySchema>;

export const envValueSchema = z.object({ key: z.string(), value: z.string() }).meta({ id: 'EnvValue' });
export type EnvValue = z.infer<typeof envValueSchema>;

export const envSetResultSchema = z.object({ app: z.string(), set: z.array(z.string()) });
export type EnvSetResult = z.infer<typeof envSetResultSchema>;

export const envDeletedSchema = z.object({ app: z.string(), deleted: z.string() });
export type EnvDeleted = z.infer<typeof envDeletedSchema>;

export const envImportResultSchema = z
  .object({ app: z.string(), set: z.array(z.string()), removed: z.array(z.string()) })
  .meta({ id: 'EnvImportResult' });
export type EnvImportResult = z.infer<typeof envImportResultSchema>;

export const envExportSchema = z
  .object({
    app: z.string(),
    keys: z.array(z.string()),
    dotenv: z.string().describe('A dotenv file, values decrypted'),
  })
  .meta({ id: 'EnvExport' });
export type EnvExport = z.infer<typeof envExportSchema>;
