import { z } from 'zod';
import { LEVELS, ROLES } from '../access.js';
import { nameSchema } from './common.js';

/** `30d`, `12h`, `90m`, `45s`: a duration in milliseconds (1 minute to 10 years). */
export const durationSchema = z
  .string()
  .trim()
  .regex(/^\d{1,6}[smhdw]$/, 'must be a number and a unit: 90m, 12h, 30d, 2w')
  .transform((v) => Number(v.slice(0, -1)) * UNIT_MS[v.at(-1) as keyof typeof UNIT_MS])
  .refine((ms) => ms >= 60_000 && ms <= 3650 * 86_400_000, 'must be between 1 minute and 10 years');

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .regex(/^[^\s@<>"',;:]+@[a-z0-9.-]+\.[a-z]{2,}$/, 'must be an email address such as alice@example.com');

/** Passwords: long enough to resist guessing, short enough not to be a denial of service for scrypt. */
export const passwordSchema = z
  .string({ error: 'a password is required' })
  .min(10, 'must be at least 10 characters')
  .max(1024, 'must be at most 1024 characters');

export const roleSchema = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` });
export const scopeSchema = z.enum(LEVELS, { error: `must be one of ${LEVELS.join(', ')}` });

export const userAddSchema = z.object({
  name: nameSchema,
  role: roleSchema,
  /** Limit to these servers (empty/absent: every server). */
  servers: z.array(nameSchema).max(100).optional(),
  email: emailSchema.optional(),
  /** Absent: the user signs in only through OpenID Connect. */
  password: passwordSchema.optional(),
});
export type UserAddInput = z.input<typeof userAddSchema>;

export const userUpdateSchema = z.object({
  role: roleSchema.optional(),
  servers: z.array(nameSchema).max(100).nullable().optional(),
  email: emailSchema.nullable().optional(),
});
export type UserUpdateInput = z.input<typeof userUpdateSchema>;

export const tokenCreateSchema = z.object({
  name: nameSchema,
  scope: scopeSchema,
  app: nameSchema.optional(),
  server: nameSchema.optional(),
  /** `30d`: expires then; absent: never. */
  expires: durationSchema.optional(),
});
export type TokenCreateInput = z.input<typeof tokenCreateSchema>;
