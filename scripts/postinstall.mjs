// `npm install` leaves a working `infrakt` binary: build the bundles unless the sources are absent
// (installed as a dependency from a published tarball that already carries dist/).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (existsSync('src/cli/index.ts') && !process.env.INFRAKT_SKIP_BUILD) {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
