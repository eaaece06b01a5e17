import { createHash } from 'node:crypto';

/** What a plan compares values by (env, catalog inputs): a hash, so values never enter a plan. */
export const hashValue = (v: string): string => createHash('sha256').update(v, 'utf8').digest('hex');
