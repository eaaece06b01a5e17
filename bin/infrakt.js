#!/usr/bin/env node
// Runs the CLI bundle (dist/cli.js, CommonJS) through a V8 code cache. Compiling the ~1.5 MB bundle was a
// third of every start-up and Node 20 has no compile cache of its own (module.enableCompileCache is 22+).
// The cache is keyed by the bundle's build id (and V8 itself rejects other Node versions or flags); a
// missing, stale or rejected cache is rewritten atomically at exit. Without a writable dist/ it just runs.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const file = join(dist, 'cli.js');
const cacheFile = join(dist, 'cli.js.v8cache');

let source;
try {
  source = readFileSync(file, 'utf8');
} catch {
  process.stderr.write('error: infrakt is not built yet\nhint: run `npm install` (it builds) or `npm run build`\n');
  process.exit(1);
}

// Copied out of the match: a match is a slice of the source, and the exit handler below would keep all
// 3 MB of it alive for the life of the process (`infrakt serve`).
const buildId = Buffer.from(/^\/\* infrakt-build:([\w-]+) \*\//.exec(source)?.[1] ?? '').toString() || undefined;
let cachedData;
if (buildId) {
  try {
    const raw = readFileSync(cacheFile);
    const nl = raw.indexOf(10);
    if (nl > 0 && raw.subarray(0, nl).toString() === buildId) cachedData = raw.subarray(nl + 1);
  } catch {
    // no cache yet
  }
}

const script = new vm.Script(Module.wrap(source), {
  filename: file,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
if (buildId && (cachedData === undefined || script.cachedDataRejected)) {
  process.once('exit', () => {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, Buffer.concat([Buffer.from(`${buildId}\n`), script.createCachedData()]));
      renameSync(tmp, cacheFile);
    } catch {
      rmSync(tmp, { force: true });
    }
  });
}
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, dist);
