// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose ${VAR} interpolation syntax, not JS templates
// Issue 11 item 3 on real parts: a corpus of awkward values (quotes, backslashes, `$`, `${X}`, `#`, spaces,
// unicode, control characters, PEM keys and other multi-line values) set with the built CLI, deployed through
// real compose v2 (`docker compose`) and v1 (`docker-compose`, on a server whose docker has no compose
// plugin), and read back byte for byte from inside the container (/proc/1/environ of the app process).

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupHomes, makeInfraktHome, registerHarnessServer, runCli } from '../harness/cli.js';
import { type SshdHost, startSshd, stopAllSshd } from '../harness/sshd.js';
import { ENV_CORPUS } from '../helpers/env-corpus.js';
import { cleanupDocker, DOCKER, docker, rand, removeAppImages } from './deploy-harness.js';

afterAll(async () => {
  await stopAllSshd();
  cleanupHomes();
});

/** The environment PID 1 of the container started with, exactly as the kernel holds it. */
function containerEnv(app: string): Map<string, Buffer> {
  const id = docker('ps', '-q', '--filter', `label=infrakt.app=${app}`).split('\n')[0]!;
  const raw = execFileSync(DOCKER, ['exec', id, 'cat', '/proc/1/environ'], { maxBuffer: 16 * 1024 * 1024 });
  const out = new Map<string, Buffer>();
  let start = 0;
  for (let i = 0; i <= raw.length; i++) {
    if (i < raw.length && raw[i] !== 0) continue;
    const entry = raw.subarray(start, i);
    start = i + 1;
    const eq = entry.indexOf(0x3d);
    if (eq > 0) out.set(entry.subarray(0, eq).toString('utf8'), entry.subarray(eq + 1));
  }
  return out;
}

const composeFile = `services:
  web:
    image: infrakt-test/web:1
    pull_policy: never
    expose: ["3000"]
    environment:
      FROM_COMPOSE: "[\${DOLLAR_BRACES}] [$PLAIN] [\${UNSET_HERE:-fallback}] [$$LITERAL]"
      OVERRIDDEN: from-compose
`;

describe.each(['v2', 'v1'] as const)('env values through real compose %s', (flavour) => {
  let home: string;
  let host: SshdHost;
  const server = `ikt-test-${rand()}`;
  const image = `ikt-test-${rand()}`;
  const stack = `ikt-test-${rand()}`;
  const ok = async (args: readonly string[], timeoutMs = 300_000) => {
    const r = await runCli(args, { home, timeoutMs });
    if (r.code !== 0)
      throw new Error(`infrakt ${args.slice(0, 3).join(' ')} → exit ${r.code}\n${r.stderr}\n${r.stdout}`);
    return r;
  };

  beforeAll(async () => {
    home = makeInfraktHome();
    host = await startSshd({ composeV1Only: flavour === 'v1' });
    await registerHarnessServer(home, host, server);
    await ok(['server', 'set', server, '--pull-policy', 'never']);
    const health = ['--port', '3000', '--health-path', '/health', '--health-timeout', '60'];
    await ok(['app', 'create', '--server', server, '--name', image, '--image', 'infrakt-test/web:1', ...health]);
    const file = `${host.dir}/compose.yml`;
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', file], { input: composeFile });
    await ok(['app', 'create', '--server', server, '--name', stack, '--compose-file', file, ...health]);
  });

  afterAll(() => {
    if (host) cleanupDocker(host.root);
    removeAppImages(image);
    removeAppImages(stack);
  });

  it(`${ENV_CORPUS.length} values arrive byte for byte (image app)`, async () => {
    expect(ENV_CORPUS.length).toBeGreaterThanOrEqual(40);
    await ok(['env', 'set', image, ...ENV_CORPUS.map(([k, v]) => `${k}=${v}`)]);
    const r = await ok(['app', 'deploy', image]);
    expect(r.stdout + r.stderr).toMatch(/serving/);
    const labels = docker('ps', '--filter', `label=infrakt.app=${image}`, '--format', '{{.Labels}}');
    expect(labels).toMatch(
      flavour === 'v1' ? /com\.docker\.compose\.version=1\./ : /com\.docker\.compose\.version=2\./,
    );
    const got = containerEnv(image);
    const wrong = ENV_CORPUS.filter(([k, v]) => !got.get(k)?.equals(Buffer.from(v, 'utf8'))).map(([k]) => k);
    expect(wrong).toEqual([]);
    // Nothing leaked into other variables (a value can't define one).
    expect(got.has('INJECTED')).toBe(false);
  });

  it("a compose app: the app's values, and ${VAR} references to them in its compose file", async () => {
    await ok(['env', 'set', stack, ...ENV_CORPUS.map(([k, v]) => `${k}=${v}`), 'OVERRIDDEN=from-env']);
    await ok(['app', 'deploy', stack]);
    const got = containerEnv(stack);
    const wrong = ENV_CORPUS.filter(([k, v]) => !got.get(k)?.equals(Buffer.from(v, 'utf8'))).map(([k]) => k);
    expect(wrong).toEqual([]);
    expect(got.get('FROM_COMPOSE')?.toString('utf8')).toBe('[${PLAIN}] [hello] [fallback] [$LITERAL]');
    // The compose file's own entry wins over the app's variable, as it did over env files.
    expect(got.get('OVERRIDDEN')?.toString('utf8')).toBe('from-compose');
  });
});
