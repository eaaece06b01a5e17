import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { allFiles, fileMode, filesContaining, removeDir, tempDir } from '../helpers/state.js';
import {
  BIN,
  buildCli,
  closedPort,
  dumpDb,
  infrakt,
  infraktAsync,
  ROOT,
  type RunResult,
  withDb,
} from './cli-harness.js';

// Local state for people: the built binary, a temp INFRAKT_HOME, no TTY, NO_COLOR.
let base: string;
let port: number;
const homes: Record<string, string> = {};
const homeFor = (name: string) => {
  homes[name] ??= join(base, name);
  return homes[name];
};

const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;
const json = <T = unknown>(r: RunResult): T => JSON.parse(r.stdout) as T;

function ok(r: RunResult): RunResult {
  expect(r.stderr, `stderr of a successful run:\n${r.stderr}`).not.toMatch(/^error:/m);
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(0);
  expect(`${r.stdout}${r.stderr}`).not.toContain('\x1b[');
  return r;
}

/**
 * The error contract: exit code of the class, `error:` then `hint:` on stderr, no stack; nothing on stdout but,
 * with --json, the error itself as `{ "error": { code, message, hint } }`.
 */
function failed(r: RunResult, code: keyof typeof EXIT_CODES): RunResult {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(EXIT_CODES[code]);
  expect(r.stderr).toMatch(/^error: \S/m);
  expect(r.stderr).toMatch(/^hint: \S/m);
  expect(r.stderr).not.toMatch(STACK_LINE);
  if (r.stdout !== '') expect(JSON.parse(r.stdout)).toMatchObject({ error: { code, message: expect.any(String) } });
  return r;
}

/** `server add` against a loopback port nobody listens on: assert only that it registered. */
function addServer(home: string, name: string, ...extra: string[]) {
  const r = infrakt(home, ['server', 'add', '--name', name, '--host', '127.0.0.1', '--port', String(port), ...extra]);
  expect(`${r.stdout}${r.stderr}`).toContain(name);
  expect(r.stderr).not.toMatch(STACK_LINE);
  const listed = json<{ name: string }[]>(ok(infrakt(home, ['server', 'list', '--json'])));
  expect(listed.map((s) => s.name)).toContain(name);
  return r;
}

beforeAll(async () => {
  buildCli();
  base = tempDir();
  port = await closedPort();
});

afterAll(() => {
  if (base) removeDir(base);
});

describe('local state', () => {
  it('is initialised on first use by any command, which says so once', () => {
    const home = homeFor('first-use');
    const first = ok(infrakt(home, ['server', 'list', '--json']));
    expect(json(first)).toEqual([]);
    expect(first.stderr).toContain(`initialised infrakt state in ${home}`);
    const second = ok(infrakt(home, ['server', 'list', '--json']));
    expect(second.stderr).toBe('');
  });

  it('init creates it with owner-only modes; a second init changes nothing and says so', () => {
    const home = homeFor('main');
    const first = ok(infrakt(home, ['init']));
    expect(first.stdout).toContain(`initialised infrakt at ${home}`);
    for (const f of ['infrakt.db', 'master.key', 'known_hosts', 'keys']) expect(first.stdout).toContain(join(home, f));
    expect(fileMode(home).toString(8)).toBe('700');
    expect(fileMode(join(home, 'keys')).toString(8)).toBe('700');
    expect(fileMode(join(home, 'master.key')).toString(8)).toBe('600');
    expect(fileMode(join(home, 'infrakt.db')).toString(8)).toBe('600');
    expect(fileMode(join(home, 'known_hosts')).toString(8)).toBe('600');
    const key = readFileSync(join(home, 'master.key'));
    expect(key).toHaveLength(32);

    const before = dumpDb(home);
    const second = ok(infrakt(home, ['init']));
    expect(second.stdout).toMatch(/already initialised .*nothing changed/);
    expect(second.stdout).not.toContain('created');
    expect(json(ok(infrakt(home, ['init', '--json'])))).toMatchObject({ changed: false, created: [], migrations: [] });
    expect(readFileSync(join(home, 'master.key')).equals(key)).toBe(true);
    expect(dumpDb(home)).toEqual(before);
  });
});

describe('servers, apps and env vars', () => {
  const home = () => homeFor('main');
  const run = (...args: string[]) => infrakt(home(), args);

  it('server add registers (defaults user root), list and show print it', () => {
    addServer(home(), 's1', '--provider', 'hetzner');
    addServer(home(), 's2', '--user', 'deploy');
    const list = json<{ name: string; host: string; port: number; user: string; provider: string | null }[]>(
      ok(run('server', 'list', '--json')),
    );
    expect(list.map((s) => [s.name, s.host, s.port, s.user, s.provider])).toEqual([
      ['s1', '127.0.0.1', port, 'root', 'hetzner'],
      ['s2', '127.0.0.1', port, 'deploy', null],
    ]);
    const table = ok(run('server', 'list')).stdout;
    expect(table).toMatch(/^NAME\s+HOST\s+USER\s+PORT\s+STATUS\s+APPS\s+PROVIDER$/m);
    expect(table).toMatch(new RegExp(`^s1\\s+127\\.0\\.0\\.1\\s+root\\s+${port}\\s+\\S+\\s+0\\s+hetzner$`, 'm'));
    expect(json(ok(run('server', 'show', 's2', '--json')))).toMatchObject({ name: 's2', user: 'deploy', appCount: 0 });
  });

  it('app create infers the type; app list filters by --server', () => {
    expect(
      json(ok(run('app', 'create', '--server', 's1', '--name', 'web', '--image', 'nginx:alpine', '--json'))),
    ).toMatchObject({ name: 'web', server: 's1', type: 'image', port: 3000, image: 'nginx:alpine' });
    const git = ok(run('app', 'create', '--server', 's2', '--name', 'web', '--git', 'https://140.82.112.3/r.git'));
    expect(git.stdout).toContain('created git app web on s2');
    ok(
      run(
        'app',
        'create',
        '--server',
        's1',
        '--name',
        'api',
        '--image',
        'nginx:alpine',
        '--domain',
        'API.example.com',
        '--port',
        '8080',
      ),
    );

    const all = json<{ name: string; server: string; type: string; domain: string | null; branch: string | null }[]>(
      ok(run('app', 'list', '--json')),
    );
    expect(all.map((a) => `${a.server}/${a.name}:${a.type}`)).toEqual(['s1/api:image', 's1/web:image', 's2/web:git']);
    expect(all.find((a) => a.name === 'api')?.domain).toBe('api.example.com');
    expect(all.find((a) => a.type === 'git')?.branch).toBe('main');
    const s1 = json<{ name: string }[]>(ok(run('app', 'list', '--server', 's1', '--json')));
    expect(s1.map((a) => a.name)).toEqual(['api', 'web']);
    const s2 = ok(run('app', 'list', '--server', 's2')).stdout;
    expect(s2).toMatch(/^NAME\s+SERVER\s+TYPE/m);
    expect(s2).toMatch(/^web\s+s2\s+git\s/m);
    expect(s2).not.toContain('api');
    const servers = json<{ name: string; appCount: number }[]>(ok(run('server', 'list', '--json')));
    expect(servers.map((s) => s.appCount)).toEqual([2, 1]);
  });

  it('an app name used on two servers needs --server; the error lists the servers', () => {
    const before = dumpDb(home());
    const r = failed(run('app', 'show', 'web'), 'CONFLICT');
    expect(r.stderr).toMatch(/^error: .*web.*s1, s2/m);
    expect(r.stderr).toMatch(/^hint: .*--server/m);
    failed(run('env', 'set', 'web', 'A=1'), 'CONFLICT');
    expect(dumpDb(home())).toEqual(before);
    expect(json(ok(run('app', 'show', 'web', '--server', 's2', '--json')))).toMatchObject({ type: 'git' });
    expect(json(ok(run('app', 'show', 'api', '--json')))).toMatchObject({ server: 's1' });
  });

  it('env set/get/list/delete: masked by default, revealed only when asked', () => {
    ok(run('env', 'set', 'web', '--server', 's1', 'DATABASE_URL=postgres://u:pw@db/x', 'EQ=a=b', 'EMPTY='));
    const masked = ok(run('env', 'list', 'web', '--server', 's1')).stdout;
    expect(masked).toMatch(/^KEY\s+VALUE\s+UPDATED$/m);
    expect(masked).toMatch(/^DATABASE_URL\s+\*{8}\s/m);
    expect(masked).not.toContain('pw@db');
    expect(masked).not.toContain('a=b');
    const maskedJson = json<{ key: string; value: string }[]>(
      ok(run('env', 'list', 'web', '--server', 's1', '--json')),
    );
    expect(maskedJson.map((e) => [e.key, e.value])).toEqual([
      ['DATABASE_URL', '********'],
      ['EMPTY', '********'],
      ['EQ', '********'],
    ]);
    const shown = ok(run('env', 'list', 'web', '--server', 's1', '--show-values')).stdout;
    expect(shown).toMatch(/^DATABASE_URL\s+postgres:\/\/u:pw@db\/x\s/m);
    expect(shown).toMatch(/^EQ\s+a=b\s/m);
    const shownJson = json<{ key: string; value: string }[]>(
      ok(run('env', 'list', 'web', '--server', 's1', '--show-values', '--json')),
    );
    expect(Object.fromEntries(shownJson.map((e) => [e.key, e.value]))).toEqual({
      DATABASE_URL: 'postgres://u:pw@db/x',
      EMPTY: '',
      EQ: 'a=b',
    });
    expect(ok(run('env', 'get', 'web', 'EQ', '--server', 's1')).stdout).toBe('a=b\n');
    expect(json(ok(run('env', 'get', 'web', 'EQ', '--server', 's1', '--json')))).toEqual({ key: 'EQ', value: 'a=b' });
    // Overwrite, then delete.
    ok(run('env', 'set', 'web', '--server', 's1', 'EQ=new'));
    expect(ok(run('env', 'get', 'web', 'EQ', '--server', 's1')).stdout).toBe('new\n');
    ok(run('env', 'delete', 'web', 'EQ', '--server', 's1'));
    failed(run('env', 'get', 'web', 'EQ', '--server', 's1'), 'NOT_FOUND');
    // Same app name on the other server has its own, separate variables.
    expect(json(ok(run('env', 'list', 'web', '--server', 's2', '--json')))).toEqual([]);
    expect(ok(run('env', 'list', 'api')).stdout).toContain('no variables set on api');
  });

  it('a canary value set through the CLI is in no file of INFRAKT_HOME and in no output but get', () => {
    const canary = `ikt-canary-${randomBytes(12).toString('hex')}`;
    const set = ok(run('env', 'set', 'api', `CANARY=${canary}`, `URL=https://x:${canary}@h/`));
    expect(`${set.stdout}${set.stderr}`).not.toContain(canary);
    for (const args of [
      ['env', 'list', 'api'],
      ['env', 'list', 'api', '--json'],
      ['app', 'list', '--json'],
    ]) {
      expect(ok(run(...args)).stdout).not.toContain(canary);
    }
    const bad = run('env', 'set', 'api', `=${canary}`);
    expect(`${bad.stdout}${bad.stderr}`).not.toContain(canary);
    expect(ok(run('env', 'get', 'api', 'CANARY')).stdout).toBe(`${canary}\n`);
    expect(allFiles(home()).length).toBeGreaterThanOrEqual(3);
    expect(filesContaining(home(), canary)).toEqual([]);
    expect(filesContaining(home(), 'CANARY').length).toBeGreaterThan(0);
  });

  describe('bad input: exit code of its class, error and hint on stderr, database unchanged', () => {
    const long = 'x'.repeat(64);
    const add = (...a: string[]) => ['server', 'add', '--host', '127.0.0.1', '--port', '{port}', ...a];
    const create = (...a: string[]) => ['app', 'create', '--server', 's1', ...a];
    const cases: [string, string[], keyof typeof EXIT_CODES][] = [
      ['server name a;b', add('--name', 'a;b'), 'VALIDATION'],
      ['server name ../x', add('--name', '../x'), 'VALIDATION'],
      ['empty server name', add('--name', ''), 'VALIDATION'],
      ['64-char server name', add('--name', long), 'VALIDATION'],
      ['upper-case server name', add('--name', 'Prod'), 'VALIDATION'],
      ['host with a space', ['server', 'add', '--name', 'n', '--host', 'a b'], 'VALIDATION'],
      ['host with ;', ['server', 'add', '--name', 'n', '--host', 'h;id'], 'VALIDATION'],
      ['ssh port 0', ['server', 'add', '--name', 'n', '--host', 'h', '--port', '0'], 'VALIDATION'],
      ['ssh port 65536', ['server', 'add', '--name', 'n', '--host', 'h', '--port', '65536'], 'VALIDATION'],
      ['ssh port abc', ['server', 'add', '--name', 'n', '--host', 'h', '--port', 'abc'], 'VALIDATION'],
      ['ssh user Root', add('--name', 'n', '--user', 'Root'), 'VALIDATION'],
      ['missing --host', ['server', 'add', '--name', 'n'], 'VALIDATION'],
      ['duplicate server name', add('--name', 's1'), 'CONFLICT'],
      ['app name a;b', create('--name', 'a;b'), 'VALIDATION'],
      ['app name ../x', create('--name', '../x'), 'VALIDATION'],
      ['empty app name', create('--name', ''), 'VALIDATION'],
      ['64-char app name', create('--name', long), 'VALIDATION'],
      ['upper-case app name', create('--name', 'Web'), 'VALIDATION'],
      ['domain with _', create('--name', 'n', '--domain', 'a_b.example.com'), 'VALIDATION'],
      ['single-label domain', create('--name', 'n', '--domain', 'localhost'), 'VALIDATION'],
      ['domain with scheme', create('--name', 'n', '--domain', 'https://x.example.com'), 'VALIDATION'],
      ['domain with empty label', create('--name', 'n', '--domain', 'a..example.com'), 'VALIDATION'],
      ['app port 0', create('--name', 'n', '--port', '0'), 'VALIDATION'],
      ['app port 65536', create('--name', 'n', '--port', '65536'), 'VALIDATION'],
      ['app port abc', create('--name', 'n', '--port', 'abc'), 'VALIDATION'],
      ['bad image', create('--name', 'n', '--image', 'Nginx Latest'), 'VALIDATION'],
      ['http git URL', create('--name', 'n', '--git', 'http://example.com/r.git'), 'VALIDATION'],
      ['private git host', create('--name', 'n', '--git', 'https://10.1.2.3/r.git'), 'VALIDATION'],
      ['image and git', create('--name', 'n', '--image', 'nginx', '--git', 'https://x.io/r'), 'VALIDATION'],
      ['branch -x', create('--name', 'n', '--git', 'https://x.io/r', '--branch', '-x'), 'VALIDATION'],
      ['unknown server (app create)', ['app', 'create', '--server', 'nope', '--name', 'n'], 'NOT_FOUND'],
      ['invalid server name (app create)', ['app', 'create', '--server', 'a;b', '--name', 'n'], 'VALIDATION'],
      ['duplicate app on a server', create('--name', 'web', '--image', 'nginx:1'), 'CONFLICT'],
      [
        'duplicate domain on a server',
        create('--name', 'n', '--image', 'nginx:1', '--domain', 'api.example.com'),
        'CONFLICT',
      ],
      ['pair =v', ['env', 'set', 'api', '=v'], 'VALIDATION'],
      ['pair K', ['env', 'set', 'api', 'K'], 'VALIDATION'],
      ['pair 1K=v', ['env', 'set', 'api', '1K=v'], 'VALIDATION'],
      ['good pair then a bad one', ['env', 'set', 'api', 'GOOD=1', 'BAD-KEY=2'], 'VALIDATION'],
      ['no pairs', ['env', 'set', 'api'], 'VALIDATION'],
      ['unknown app (env set)', ['env', 'set', 'nope', 'A=1'], 'NOT_FOUND'],
      ['invalid app name (env set)', ['env', 'set', 'a;b', 'A=1'], 'VALIDATION'],
      ['unknown --server (env set)', ['env', 'set', 'web', '--server', 'nope', 'A=1'], 'NOT_FOUND'],
      ['unset variable (env get)', ['env', 'get', 'api', 'MISSING'], 'NOT_FOUND'],
      ['invalid variable name (env get)', ['env', 'get', 'api', 'bad-key'], 'VALIDATION'],
      ['unknown app (env list)', ['env', 'list', 'nope'], 'NOT_FOUND'],
      ['unset variable (env delete)', ['env', 'delete', 'api', 'MISSING'], 'NOT_FOUND'],
      ['unknown server (app list)', ['app', 'list', '--server', 'nope'], 'NOT_FOUND'],
      ['unknown server (server show)', ['server', 'show', 'nope'], 'NOT_FOUND'],
      ['unknown server (server remove)', ['server', 'remove', 'nope'], 'NOT_FOUND'],
      ['server with apps, no TTY, no --force', ['server', 'remove', 's1'], 'ABORTED'],
      ['unknown command', ['deploy-everything'], 'VALIDATION'],
      ['unknown option', ['server', 'list', '--colour'], 'VALIDATION'],
    ];

    it.each(cases)('%s', (_what, args, code) => {
      const before = dumpDb(home());
      // The closed port is only known once beforeAll ran.
      failed(run(...args.map((a) => (a === '{port}' ? String(port) : a))), code);
      expect(dumpDb(home())).toEqual(before);
    });

    it('refusing to remove a server with apps says how to force it', () => {
      expect(run('server', 'remove', 's1').stderr).toMatch(/^hint: .*--force/m);
    });

    it('--debug adds the stack trace', () => {
      const r = run('app', 'create', '--server', 's1', '--name', 'a;b', '--debug');
      expect(r.code).toBe(EXIT_CODES.VALIDATION);
      expect(r.stderr).toMatch(STACK_LINE);
    });
  });

  it('server remove with apps asks on a terminal: "n" changes nothing, "y" removes', () => {
    addServer(home(), 'tty');
    ok(run('app', 'create', '--server', 'tty', '--name', 'asked', '--image', 'nginx:alpine'));
    const answer = (reply: string) =>
      spawnSync('script', ['-qec', `node ${BIN} server remove tty`, '/dev/null'], {
        input: `${reply}\n`,
        env: { ...process.env, INFRAKT_HOME: home(), NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const before = dumpDb(home());
    const no = answer('n');
    expect(no.stdout).toContain("Server 'tty' has 1 app(s). Remove it and forget them? [y/N]");
    expect(no.status).toBe(EXIT_CODES.ABORTED);
    expect(dumpDb(home())).toEqual(before);
    const yes = answer('y');
    expect(yes.status).toBe(0);
    expect(yes.stdout).toContain('removed server tty and forgot 1 app(s)');
    expect(ok(run('server', 'list', '--json')).stdout).not.toContain('"tty"');
  });

  it('server remove --force forgets the server and its apps; a server without apps goes without asking', () => {
    ok(run('server', 'remove', 's1', '--force'));
    expect(json<{ name: string }[]>(ok(run('server', 'list', '--json'))).map((s) => s.name)).toEqual(['s2']);
    expect(json<{ server: string }[]>(ok(run('app', 'list', '--json'))).map((a) => a.server)).toEqual(['s2']);
    // The name is no longer ambiguous.
    expect(json(ok(run('app', 'show', 'web', '--json')))).toMatchObject({ server: 's2' });
    addServer(home(), 's3');
    expect(ok(run('server', 'remove', 's3')).stdout).toContain('removed server s3');
    expect(ok(run('server', 'list', '--json')).stdout).not.toContain('s3');
  });
});

describe('colour', () => {
  // `script` gives the CLI a pseudo-terminal, the only place colours may appear.
  const onTty = (home: string, args: string[], env: NodeJS.ProcessEnv) => {
    const r = spawnSync('script', ['-qec', ['node', BIN, ...args].join(' '), '/dev/null'], {
      env: { ...process.env, INFRAKT_HOME: home, TERM: 'xterm', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.error) throw r.error;
    return r.stdout;
  };

  it('is used on a terminal and never with NO_COLOR', () => {
    const home = homeFor('main');
    // An undefined value removes the variable from the child's environment.
    const tty = onTty(home, ['server', 'list'], { NO_COLOR: undefined });
    expect(tty).toMatch(/^\x1b\[1mNAME/m);
    expect(onTty(home, ['server', 'list'], { NO_COLOR: '1' })).not.toContain('\x1b[');
    expect(onTty(home, ['server', 'show', 'nope'], { NO_COLOR: '1' })).toMatch(/^error: /m);
  });
});

describe('damaged or foreign state gives clear errors', () => {
  function seeded(name: string): string {
    const home = homeFor(name);
    addServer(home, 's1');
    ok(infrakt(home, ['app', 'create', '--server', 's1', '--name', 'web', '--image', 'nginx:alpine']));
    ok(infrakt(home, ['env', 'set', 'web', 'API_TOKEN=t0ken', 'OTHER=x']));
    return home;
  }

  it('a tampered value → exit SECRET, naming app and key, no garbage on stdout', () => {
    const home = seeded('tampered');
    withDb(home, (db) => {
      const sealed = db.prepare("SELECT value_enc FROM env_vars WHERE key='API_TOKEN'").pluck().get() as string;
      const [v, nonce, body] = sealed.split('.') as [string, string, string];
      const bytes = Buffer.from(body, 'base64');
      bytes[0] = bytes[0]! ^ 0xff;
      db.prepare("UPDATE env_vars SET value_enc=? WHERE key='API_TOKEN'").run(
        `${v}.${nonce}.${bytes.toString('base64')}`,
      );
    });
    const r = failed(infrakt(home, ['env', 'get', 'web', 'API_TOKEN']), 'SECRET');
    expect(r.stderr).toMatch(/^error: cannot decrypt API_TOKEN of app web/m);
    failed(infrakt(home, ['env', 'list', 'web', '--show-values']), 'SECRET');
    expect(ok(infrakt(home, ['env', 'get', 'web', 'OTHER'])).stdout).toBe('x\n');
  });

  it('a value moved to another key → exit SECRET', () => {
    const home = seeded('moved');
    withDb(home, (db) => {
      const sealed = db.prepare("SELECT value_enc FROM env_vars WHERE key='API_TOKEN'").pluck().get();
      db.prepare("UPDATE env_vars SET value_enc=? WHERE key='OTHER'").run(sealed);
    });
    expect(failed(infrakt(home, ['env', 'get', 'web', 'OTHER']), 'SECRET').stderr).toContain('OTHER of app web');
  });

  it('a missing master key is reported, never silently replaced', () => {
    const home = seeded('lost-key');
    rmSync(join(home, 'master.key'));
    // Commands that need no key still work.
    ok(infrakt(home, ['server', 'list']));
    const get = failed(infrakt(home, ['env', 'get', 'web', 'API_TOKEN']), 'SECRET');
    expect(get.stderr).toMatch(/^error: cannot decrypt API_TOKEN of app web: the master key .* is missing/m);
    expect(get.stderr).toMatch(/^hint: restore it from your backup/m);
    failed(infrakt(home, ['env', 'set', 'web', 'NEW=1']), 'SECRET');
    failed(infrakt(home, ['init']), 'SECRET');
    expect(existsSync(join(home, 'master.key'))).toBe(false);
  });

  it('a database from a newer infrakt → exit STATE_TOO_NEW', () => {
    const home = homeFor('too-new');
    ok(infrakt(home, ['init']));
    withDb(home, (db) => db.pragma('user_version = 9999'));
    const r = failed(infrakt(home, ['server', 'list', '--json']), 'STATE_TOO_NEW');
    expect(r.stderr).toMatch(/schema version 9999/);
    expect(withDb(home, (db) => db.pragma('user_version', { simple: true }))).toBe(9999);
  });

  it('INFRAKT_HOME that is a file, or a database that is not one → exit STATE', () => {
    const file = join(base, 'not-a-dir');
    writeFileSync(file, 'x');
    expect(failed(infrakt(file, ['server', 'list']), 'STATE').stderr).toContain('is not a directory');
    const home = homeFor('garbage-db');
    ok(infrakt(home, ['init']));
    writeFileSync(join(home, 'infrakt.db'), 'not sqlite '.repeat(500));
    rmSync(join(home, 'infrakt.db-wal'), { force: true });
    rmSync(join(home, 'infrakt.db-shm'), { force: true });
    failed(infrakt(home, ['server', 'list']), 'STATE');
  });

  it('concurrent first use by several processes migrates once and all succeed', async () => {
    const home = homeFor('concurrent');
    const runs = await Promise.all(Array.from({ length: 6 }, () => infraktAsync(home, ['server', 'list', '--json'])));
    for (const r of runs) {
      expect(r.stderr).not.toMatch(/^error:/m);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([]);
    }
  });
});

describe('launcher code cache (bin/infrakt.js)', () => {
  const dist = join(ROOT, 'dist');
  // The shared cache, or a command's own (each command evaluates only its group's modules).
  const cacheOf = (command?: string) => join(dist, command ? `cli.js.${command}.v8cache` : 'cli.js.v8cache');
  const buildId = () => /^\/\* infrakt-build:([\w-]+) \*\//.exec(readFileSync(join(dist, 'cli.js'), 'utf8'))?.[1];
  const cacheId = (file: string) => readFileSync(file).subarray(0, 36).toString();

  it('is written for the current build and survives stale or corrupt caches', () => {
    const home = homeFor('launcher');
    const id = buildId();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    ok(infrakt(home, ['--version']));
    expect(cacheId(cacheOf())).toBe(id);
    for (const bad of [
      Buffer.from(`not-this-build\n${'x'.repeat(5000)}`),
      Buffer.from(`${id}\n${'garbage'.repeat(999)}`),
    ]) {
      for (const file of [cacheOf(), cacheOf('server')]) writeFileSync(file, bad);
      expect(json(ok(infrakt(home, ['server', 'list', '--json'])))).toEqual([]);
      // The command's own cache is rewritten; the shared one too when it was the one read (no own cache of this build).
      expect(cacheId(cacheOf('server'))).toBe(id);
      expect(readFileSync(cacheOf('server')).length).toBeGreaterThan(10_000);
      if (!bad.toString().startsWith(id ?? '-')) expect(cacheId(cacheOf())).toBe(id);
    }
  });

  it('a command keeps its own cache, written by a successful run only; a mistyped one gets none', () => {
    const home = homeFor('launcher');
    const id = buildId();
    rmSync(cacheOf('lock'), { force: true });
    ok(infrakt(home, ['lock', 'list']));
    expect(cacheId(cacheOf('lock'))).toBe(id);
    const typo = `lockz-${randomBytes(3).toString('hex').replace(/\d/g, 'q')}`;
    expect(infrakt(home, [typo, 'list']).code).not.toBe(0);
    expect(existsSync(cacheOf(typo))).toBe(false);
  });
});
