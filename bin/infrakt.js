#!/usr/bin/env node
// Runs the CLI bundle (dist/cli.js, CommonJS) through a V8 code cache. Compiling the ~1.5 MB bundle was a
// third of every start-up and Node 20 has no compile cache of its own (module.enableCompileCache is 22+).
// The cache is keyed by the bundle's build id (and V8 itself rejects other Node versions or flags); a
// missing, stale or rejected cache is rewritten atomically at exit. Without a writable dist/ it just runs.
// This file is CommonJS (bin/package.json): an ES-module entry would start Node's ESM loader first, ~6 ms
// of every start for nothing.
'use strict';
const { readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');

const dist = join(__dirname, '..', 'dist');
const file = join(dist, 'cli.js');
const cacheFile = join(dist, 'cli.js.v8cache');

let source;
try {
  // The bundle is ASCII (esbuild escapes the rest, scripts/build.mjs): latin1 reads it without UTF-8 decoding.
  source = readFileSync(file, 'latin1');
} catch {
  process.stderr.write('error: infrakt is not built yet\nhint: run `npm install` (it builds) or `npm run build`\n');
  process.exit(1);
}

const buildId = /^\/\* infrakt-build:([\w-]+) \*\//.exec(source)?.[1];
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
const module_ = { exports: {} };
script.runInThisContext()(module_.exports, Module.createRequire(file), module_, file, dist);
