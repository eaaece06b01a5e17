// `env import` / `env export` with the built CLI: a dotenv file of awkward values imported, pushed to a real
// container (harness sshd, real Docker, compose) and read back byte for byte from the kernel's copy of the
// environment; export asks on a terminal, refuses without one unless -y, writes 0600 files, and reads back
// into another app identically. Values never appear in the output of import or in errors.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDotenv } from '../../src/core/schemas/dotenv.js';
import { CLI_BIN, cleanupHomes, makeInfraktHome, REPO_ROOT, registerHarnessServer, runCli } from '../harness/cli.js';
import { type SshdHost, startSshd, stopAllSshd } from '../harness/sshd.js';
import { ENV_CORPUS } from '../helpers/env-corpus.js';
import { removeDir, tempDir } from '../helpers/state.js';
import { cleanupDocker, DOCKER, docker, rand, removeAppImages } from './deploy-harness.js';

// Values that stress the dotenv format most (quotes, escapes, `$`, `#`, newlines, CR, unicode, a PEM key).
const PICK = new Set([
  'SINGLE_QUOTE',
  'DOUBLE_QUOTE',
  'BACKSLASH_DQUOTE',
  'ESCAPED_QUOTE_BREAKOUT',
  'BACKSLASH_N_LITERAL',
  'DOLLAR_BRACES',
  'DOLLAR_PAREN',
  'BACKTICKS',
  'SPACE_HASH',
  'LEADING_TRAILING',
  'NEWLINE',
  'CRLF',
  'TRAILING_NEWLINE',
  'PEM_KEY',
  'EMOJI',
  'BOM',
  'CONTROL',
  'EMPTY',
  'URL',
]);
const VALUES = ENV_CORPUS.filter(([k]) => PICK.has(k));
const SECRET = 'never-printed-7f3a';

describe('env import / export (built CLI, sshd, Docker)', () => {
  let home: string;
  let host: SshdHost;
  let dir: string;
  const server = `ikt-test-${rand()}`;
  const app = `ikt-test-${rand()}`;
  const cli = (args: readonly string[], input?: string) =>
    runCli(args, { home, ...(input !== undefined ? { input } : {}) });
  const ok = async (args: readonly string[], input?: string) => {
    const r = await cli(args, input);
    if (r.code !== 0) throw new Error(`infrakt ${args.join(' ')} → ${r.code}\n${r.stderr}${r.stdout}`);
    return r;
  };

  beforeAll(async () => {
    home = makeInfraktHome();
    dir = tempDir();
    host = await startSshd();
    await registerHarnessServer(home, host, server);
    await ok(['server', 'set', server, '--pull-policy', 'never']);
    await ok(['app', 'create', '--server', server, '--name', app, '--image', 'infrakt-test/web:3', '--port', '3000']);
    await ok(['env', 'set', app, `TOKEN=${SECRET}`]);
    await ok(['app', 'deploy', app]);
  });

  afterAll(async () => {
    if (host) cleanupDocker(host.root);
    removeAppImages(app);
    await stopAllSshd();
    cleanupHomes();
    if (dir) removeDir(dir);
  });

  it('imports a dotenv file; env push brings every value into the container byte for byte', async () => {
    const file = join(dir, 'in.env');
    writeFileSync(file, `# comment\n${formatDotenv(VALUES.map(([key, value]) => ({ key, value })))}`);
    const r = await ok(['env', 'import', app, file]);
    expect(r.stdout).toContain(`imported ${VALUES.length} variable(s)`);
    for (const [, value] of VALUES) if (value.length > 3) expect(r.stdout + r.stderr).not.toContain(value);
    await ok(['env', 'push', app]);
    const env = containerEnv(app);
    for (const [key, value] of VALUES) expect(env.get(key)?.toString('utf8'), key).toBe(value);
    expect(env.get('TOKEN')?.toString()).toBe(SECRET);
  });

  it('reads stdin with -; --replace leaves exactly the file', async () => {
    const other = `ikt-test-${rand()}`;
    await ok(['app', 'create', '--server', server, '--name', other, '--image', 'infrakt-test/web:3', '--port', '3000']);
    await ok(['env', 'set', other, 'OLD=1']);
    const r = await ok(['env', 'import', other, '-', '--replace', '--json'], 'A="x y"\nB=2\n');
    expect(JSON.parse(r.stdout)).toEqual({ app: other, set: ['A', 'B'], removed: ['OLD'] });
    const list = JSON.parse((await ok(['env', 'list', other, '--show-values', '--json'])).stdout);
    expect(list.map((e: { key: string; value: string }) => [e.key, e.value])).toEqual([
      ['A', 'x y'],
      ['B', '2'],
    ]);
  });

  it('refuses a bad file naming the line, never the value, and changes nothing', async () => {
    const before = (await ok(['env', 'list', app, '--show-values', '--json'])).stdout;
    const bad = join(dir, 'bad.env');
    writeFileSync(bad, `GOOD=1\n${SECRET}\n`);
    const cases: [string[], string | undefined, RegExp][] = [
      [['env', 'import', app, bad], undefined, /line 2: expected KEY=VALUE/],
      [['env', 'import', app, join(dir, 'missing.env')], undefined, /missing or unreadable/],
      [['env', 'import', app, dir], undefined, /not a regular file/],
      [['env', 'import', app, '-'], `A="${SECRET}\n`, /line 1: the double quote is never closed/],
      [['env', 'import', app, '-'], 'A=secret:nope\n', /refers to secret 'nope'/],
    ];
    for (const [args, input, message] of cases) {
      const r = await cli(args, input);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
    }
    // Not UTF-8: refused rather than silently turned into U+FFFD.
    const latin1 = join(dir, 'latin1.env');
    writeFileSync(latin1, Buffer.from('A=caf\xe9\n', 'latin1'));
    expect((await cli(['env', 'import', app, latin1])).stderr).toMatch(/not valid UTF-8/);
    expect((await ok(['env', 'list', app, '--show-values', '--json'])).stdout).toBe(before);
  });

  it('export refuses without a terminal unless -y; -o writes a 0600 file that imports back identically', async () => {
    const refused = await cli(['env', 'export', app]);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toMatch(/confirmation needed/);
    expect(refused.stderr).toMatch(/-y/);
    expect(refused.stdout).toBe('');

    const printed = await ok(['env', 'export', app, '-y']);
    expect(printed.stdout).toContain(`TOKEN=${SECRET}\n`);
    const out = join(dir, 'out.env');
    await ok(['env', 'export', app, '-y', '-o', out]);
    expect(readFileSync(out, 'utf8')).toBe(printed.stdout);
    expect(statSync(out).mode & 0o777).toBe(0o600);

    const copy = `ikt-test-${rand()}`;
    await ok(['app', 'create', '--server', server, '--name', copy, '--image', 'infrakt-test/web:3', '--port', '3000']);
    await ok(['env', 'import', copy, out]);
    const values = async (a: string) =>
      JSON.parse((await ok(['env', 'list', a, '--show-values', '--json'])).stdout).map(
        (e: { key: string; value: string }) => [e.key, e.value],
      );
    expect(await values(copy)).toEqual(await values(app));
    expect((await ok(['env', 'export', copy, '-y'])).stdout).toBe(printed.stdout.replace(app, copy));
  });

  it('export asks on a terminal: "y" prints, anything else prints nothing', async () => {
    const yes = await inPty(['env', 'export', app], 'y\n');
    expect(yes.code).toBe(0);
    expect(yes.output).toMatch(/Reveal the decrypted values of .* \[y\/N\]/);
    expect(yes.output).toContain(`TOKEN=${SECRET}`);
    const no = await inPty(['env', 'export', app], 'n\n');
    expect(no.code).toBe(7);
    expect(no.output).not.toContain(SECRET);
  });

  /** The CLI on a new pty (util-linux `script`), answering the prompt once it shows. */
  function inPty(args: string[], answer: string): Promise<{ code: number; output: string }> {
    const command = ['node', CLI_BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1', TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let answered = false;
    const onData = (b: Buffer) => {
      output += b.toString();
      if (!answered && output.includes('[y/N]')) {
        answered = true;
        child.stdin.write(answer);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    return new Promise((resolve) =>
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, output });
      }),
    );
  }
});

/** The environment PID 1 of the app's container started with, as the kernel holds it. */
function containerEnv(app: string): Map<string, Buffer> {
  const id = docker('ps', '-q', '--filter', `label=infrakt.app=${app}`).split('\n')[0]!;
  const raw = execFileSync(DOCKER, ['exec', id, 'cat', '/proc/1/environ'], { maxBuffer: 16 * 1024 * 1024 });
  const out = new Map<string, Buffer>();
  for (const entry of raw.toString('binary').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) out.set(entry.slice(0, eq), Buffer.from(entry.slice(eq + 1), 'binary'));
  }
  return out;
}
