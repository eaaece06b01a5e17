import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Bundles a TypeScript entry (and the sources it imports) into one ESM file that a plain `node`
 * child process can run: Node 20 cannot load .ts itself. The output lives under
 * node_modules/.cache so package imports (better-sqlite3, ssh2…) resolve from the project.
 */
export async function bundleForTest(entry: string): Promise<{ file: string; cleanup(): void }> {
  const dir = join(ROOT, 'node_modules/.cache', `ikt-test-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'entry.mjs');
  await build({
    entryPoints: [resolve(ROOT, entry)],
    outfile: file,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    define: { INFRAKT_VERSION: '"test"' },
    logLevel: 'error',
  });
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
