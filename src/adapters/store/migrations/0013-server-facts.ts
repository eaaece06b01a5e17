import type { Migration } from './types.js';

/**
 * Facts a deploy learns about a server and keeps (compose flavour, Docker version), with the fingerprint of
 * the Docker binaries they were learnt from: while the fingerprint holds, a deploy does not ask again.
 */
export const serverFacts: Migration = {
  version: 13,
  name: 'server-facts',
  sql: `
ALTER TABLE servers ADD COLUMN facts_json TEXT;
`,
};
