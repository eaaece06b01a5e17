import { z } from 'zod';

/** An error as views carry it (a failed job, a failed connection check): the InfraktError fields people read. */
export const errorSummarySchema = z.object({ code: z.string(), message: z.string(), hint: z.string().optional() });
export type ErrorSummary = z.infer<typeof errorSummarySchema>;
