// Builds the CLI bundle (esbuild) and the web dashboard (vite) into dist/.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const only = process.argv[2];

if (only !== 'web') {
  rmSync('dist/cli', { recursive: true, force: true });
  await build({
    entryPoints: { cli: 'src/cli/index.ts' },
    outdir: 'dist',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    // Native or optional-native modules stay in node_modules.
    external: ['better-sqlite3', 'ssh2', 'cpu-features'],
    define: { INFRAKT_VERSION: JSON.stringify(pkg.version) },
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    sourcemap: 'linked',
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
