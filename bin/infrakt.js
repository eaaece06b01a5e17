#!/usr/bin/env node
// Runs the CLI bundle (dist/cli.js, CommonJS) through a V8 code cache. Compiling the ~1.5 MB bundle was a
// third of every start-up and Node 20 has no compile cache of its own (module.enableCompileCache is 22+).
// The cache is keyed by the bundle's build id (and V8 itself rejects other Node versions or flags); a
// missing, stale or rejected cache is rewritten atomically at exit. Without a writable dist/ it just runs.
// A cache holds the functions its writer compiled, and each top-level command evaluates only its own group's
// modules (src/cli/command-groups.ts): so each command keeps a cache of its own (`cli.js.server.v8cache`), written
// by its first successful run; until then it starts from the shared one (`cli.js.v8cache`). `server list` with a
// cache written by `init` compiled ~6 ms of functions on every start.
// This file is CommonJS (bin/package.json): an ES-module entry would start Node's ESM loader first, ~6 ms
// of every start for nothing.
'use strict';
const { readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');

const dist = join(__dirname, '..', 'dist');
const file = join(dist, 'cli.js');
const sharedCache = join(dist, 'cli.js.v8cache');
// The command as src/cli/main.ts finds it: the first argument after the program's own flags.
const command = process.argv.slice(2).find((a) => a !== '--debug' && a !== '--verbose');
const commandCache = /^[a-z][a-z-]{0,30}$/.test(command ?? '') ? join(dist, `cli.js.${command}.v8cache`) : undefined;

let source;
try {
  // The bundle is ASCII (esbuild escapes the rest, scripts/build.mjs): latin1 reads it without UTF-8 decoding.
  source = readFileSync(file, 'latin1');
} catch {
  process.stderr.write('error: infrakt is not built yet\nhint: run `npm install` (it builds) or `npm run build`\n');
  process.exit(1);
}

// Copied out of the match: a match is a slice of the source, and the exit handler below would keep all
// 3 MB of it alive for the life of the process (`infrakt serve`).
const buildId = Buffer.from(/^\/\* infrakt-build:([\w-]+) \*\//.exec(source)?.[1] ?? '').toString() || undefined;
/** The cache in `cacheFile` if it is of this build. */
function readCache(cacheFile) {
  try {
    const raw = readFileSync(cacheFile);
    const nl = raw.indexOf(10);
    if (nl > 0 && raw.subarray(0, nl).toString() === buildId) return raw.subarray(nl + 1);
  } catch {
    // no cache yet
  }
  return undefined;
}
const ownCache = buildId && commandCache ? readCache(commandCache) : undefined;
const sharedData = buildId && !ownCache ? readCache(sharedCache) : undefined;
const cachedData = ownCache ?? sharedData;

const script = new vm.Script(Module.wrap(source), {
  filename: file,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const rejected = cachedData !== undefined && script.cachedDataRejected;
// Rewritten at exit: the shared cache when it was missing, stale or rejected; the command's own cache when it was,
// after a successful run only (a mistyped command gets none).
const stale = [];
if (buildId && ownCache === undefined && (sharedData === undefined || rejected)) stale.push(sharedCache);
if (buildId && commandCache && (ownCache === undefined || rejected)) stale.push(commandCache);
if (stale.length) {
  process.once('exit', (code) => {
    let data;
    for (const cacheFile of stale) {
      if (cacheFile === commandCache && code !== 0) continue;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        data ??= Buffer.concat([Buffer.from(`${buildId}\n`), script.createCachedData()]);
        writeFileSync(tmp, data);
        renameSync(tmp, cacheFile);
      } catch {
        rmSync(tmp, { force: true });
      }
    }
  });
}
const module_ = { exports: {} };
script.runInThisContext()(module_.exports, Module.createRequire(file), module_, file, dist);
