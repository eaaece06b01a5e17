import { z } from 'zod';

/** Names of stored secrets: referenced as `secret:NAME` in env values and infrakt.yaml. */
export const SECRET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const secretNameSchema = z
  .string({ error: 'a secret name is required' })
  .regex(
    SECRET_NAME_RE,
    'must be 1-128 characters of letters, digits, "_", "." and "-", starting with a letter or digit',
  );

export const SECRET_REF_PREFIX = 'secret:';

/** `secret:NAME` → NAME; anything else → null (a literal value). */
export function secretRef(value: string): string | null {
  if (!value.startsWith(SECRET_REF_PREFIX)) return null;
  return value.slice(SECRET_REF_PREFIX.length);
}

export const secretValueSchema = z
  .string()
  .min(1, 'the value is empty')
  .max(65_536, 'value too long (max 64 KiB)')
  .refine((v) => !v.includes('\0'), { message: 'must not contain NUL bytes' });
