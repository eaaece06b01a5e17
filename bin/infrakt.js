#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('error: infrakt is not built yet\nhint: run `npm install` (it builds) or `npm run build`\n');
  process.exit(1);
}
await import(cli);
