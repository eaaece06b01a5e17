import { z } from 'zod';

// Private container registries (`registry add`): the host as Docker names it, and how an image reference
// names its registry (Docker's rule: the first path component is a registry when it has a "." or ":" or is
// "localhost"; otherwise the image is on Docker Hub).

const HOST_RE =
  /^(?=.{1,253}(:|$))[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?$/;

export const DOCKER_HUB = 'docker.io';

export const registryHostSchema = z
  .string()
  .trim()
  .toLowerCase()
  .refine((h) => HOST_RE.test(h), {
    message: 'must be a registry host such as ghcr.io, registry.example.com:5000 or docker.io (no scheme, no path)',
  })
  .refine((h) => !h.includes(':') || Number(h.split(':')[1]) <= 65535, { message: 'the port must be at most 65535' })
  .transform((h) => (h === 'index.docker.io' || h === 'registry-1.docker.io' ? DOCKER_HUB : h));

export const registryUserSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(255)
  .regex(/^[A-Za-z0-9._@+=-]+$/, 'may contain letters, digits and . _ @ + = -');

/** A password or token: any printable text without line breaks (it travels on stdin to docker login). */
export const registrySecretSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(8192, 'at most 8192 characters')
  .refine((p) => !/[\x00-\x1f\x7f]/.test(p), { message: 'must not contain line breaks or control characters' });

/** The registry host an image reference pulls from (`docker.io` for Docker Hub images). */
export function registryOfImage(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = image.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') return first.toLowerCase();
  return DOCKER_HUB;
}
