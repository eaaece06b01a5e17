// `npm start`: build what is missing (CLI bundle, dashboard), then run `infrakt serve` with any extra arguments
// (e.g. `npm start -- --port 9000`). serve prints the URL and where the API key lives.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const needCli = !existsSync('dist/cli.js');
const needWeb = existsSync('web/index.html') && !existsSync('dist/web/index.html');
if (needCli || needWeb) {
  const what = needCli && needWeb ? [] : [needCli ? 'cli' : 'web'];
  process.stderr.write(`building ${what[0] ?? 'cli and web'} (first start)...\n`);
  const r = spawnSync(process.execPath, ['scripts/build.mjs', ...what], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const child = spawn(process.execPath, ['bin/infrakt.js', 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
