// `npm run dev`: the dashboard with hot reload (Vite) proxying /api to an infrakt API.
// By default it builds the CLI and starts `infrakt serve` on 127.0.0.1:8000 itself (stopped with it).
// With INFRAKT_API_URL set (or --no-api) it only runs Vite and proxies to that API instead.
import { execFileSync, spawn } from 'node:child_process';

const noApi = process.argv.includes('--no-api') || Boolean(process.env.INFRAKT_API_URL);
const apiPort = process.env.INFRAKT_API_PORT ?? '8000';
const children = [];

function stopAll(code = 0) {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  process.exit(code);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

if (!noApi) {
  execFileSync(process.execPath, ['scripts/build.mjs', 'cli'], { stdio: 'inherit' });
  const api = spawn(process.execPath, ['bin/infrakt.js', 'serve', '--host', '127.0.0.1', '--port', apiPort], {
    stdio: 'inherit',
  });
  children.push(api);
  api.on('exit', (code) => {
    process.stderr.write(`infrakt serve exited (${code}); stopping the dev server\n`);
    stopAll(code ?? 1);
  });
}

const env = { ...process.env, INFRAKT_API_URL: process.env.INFRAKT_API_URL ?? `http://127.0.0.1:${apiPort}` };
const vite = spawn(process.execPath, ['node_modules/vite/bin/vite.js', '--config', 'web/vite.config.ts'], {
  stdio: 'inherit',
  env,
});
children.push(vite);
vite.on('exit', (code) => stopAll(code ?? 0));
