// Builds the CLI bundle (esbuild) and the web dashboard (vite) into dist/.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const only = process.argv[2];

/**
 * zod re-exports all of its ~60 locales (a third of its code) as `z.locales`; infrakt speaks English
 * only. Parsing them cost every CLI start ~15 ms, so the bundle gets a locales module with just `en`.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!args.importer.includes(`${sep}node_modules${sep}zod${sep}`)) return undefined;
      return { path: resolve(args.resolveDir, '../locales/index.js'), namespace: 'zod-locales' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

if (only !== 'web') {
  // Leftovers of the former ESM/code-split layout.
  rmSync('dist/chunks', { recursive: true, force: true });
  // Code caches of the previous build (bin/infrakt.js): never valid for a new one.
  for (const f of existsSync('dist') ? readdirSync('dist') : []) {
    if (f.endsWith('.v8cache')) rmSync(`dist/${f}`, { force: true });
  }
  await build({
    entryPoints: { cli: 'src/cli/index.ts' },
    outdir: 'dist',
    bundle: true,
    // One CommonJS file, loaded by bin/infrakt.js through a V8 code cache (Node 20 has no compile
    // cache for ES modules): compiling the bundle was a third of every start. Dynamic imports become
    // lazily initialised parts of the file, so the API server still loads only for `infrakt serve`.
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // Native or optional-native modules stay in node_modules; pg (Postgres state) loads only when configured.
    // better-sqlite3's JavaScript is bundled (code-cached: loading it from node_modules was ~8 ms of every
    // start); its addon is still loaded from node_modules (src/adapters/store/open.ts).
    external: ['ssh2', 'cpu-features', 'pg', 'pg-native'],
    define: {
      INFRAKT_VERSION: JSON.stringify(pkg.version),
      'import.meta.url': '__infrakt_import_meta_url',
      'import.meta.dirname': '__dirname',
      'import.meta.filename': '__filename',
    },
    // The build id keys the code cache (bin/infrakt.js); "use strict" keeps ES-module semantics.
    banner: {
      js: `/* infrakt-build:${randomUUID()} */\n"use strict";\nvar __infrakt_import_meta_url = require("node:url").pathToFileURL(__filename).href;`,
    },
    sourcemap: 'linked',
    // Less to read and parse on every start; names stay readable in --debug stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    // ASCII only (esbuild escapes the rest; this is its default, stated because bin/infrakt.js reads the
    // bundle as latin1 to skip UTF-8 decoding).
    charset: 'ascii',
    plugins: [zodEnglishOnly],
    logLevel: 'warning',
  });
  process.stdout.write('built dist/cli.js\n');
}

if (only !== 'cli' && existsSync('web/index.html')) {
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    {
      stdio: 'inherit',
    },
  );
  process.stdout.write('built dist/web\n');
}
