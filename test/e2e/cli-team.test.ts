// Teams through the built CLI and a real `infrakt serve` on loopback: users, tokens, the role check over real HTTP,
// the session cookie + CSRF, the audit log and `audit verify` finding an edited row; the owner's laptop path unchanged.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { CLI_BIN, ensureCliBuilt, REPO_ROOT, runCli } from '../harness/cli.js';

let home: string;
let child: ChildProcess | undefined;
let url: string;
const cli = (args: string[], input?: string) => runCli(args, { home, ...(input !== undefined ? { input } : {}) });

async function serve(): Promise<void> {
  child = spawn(process.execPath, [CLI_BIN, 'serve', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    if (m?.[1] && /reverse proxy/.test(out)) {
      url = m[1];
      return;
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  ensureCliBuilt();
  home = mkdtempSync(join(tmpdir(), 'ikt-test-team-'));
  await serve();
}, 60_000);
afterAll(() => {
  if (child?.pid && child.exitCode === null) child.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

describe('teams from the CLI, enforced by a real server', () => {
  it('users, tokens, roles over HTTP, sessions with CSRF, audit list and verify', async () => {
    const key = readFileSync(join(home, 'api_key'), 'utf8').trim();
    // The laptop path: the owner key works everywhere, as before.
    expect((await fetch(`${url}/api/users`, { headers: { 'X-API-Key': key } })).status).toBe(200);

    const add = await cli(['user', 'add', 'alice', '--role', 'viewer', '--json'], 'alice-password-long');
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ name: 'alice', role: 'viewer', password: true });
    expect(add.stdout + add.stderr).not.toContain('alice-password-long');
    const short = await cli(['user', 'add', 'bob', '--role', 'viewer'], 'short');
    expect(short.code).toBe(EXIT_CODES.VALIDATION);
    expect(short.stderr).toContain('at least 10 characters');
    const badRole = await cli(['user', 'add', 'bob', '--role', 'root'], 'bob-password-long');
    expect(badRole.code).toBe(EXIT_CODES.VALIDATION);
    const users = JSON.parse((await cli(['user', 'list', '--json'])).stdout);
    expect(users.map((u: { name: string }) => u.name)).toEqual(['alice']);

    const tok = await cli(['token', 'create', '--name', 'ci', '--scope', 'read', '--expires', '30d']);
    expect(tok.code, tok.stderr).toBe(0);
    const secret = tok.stdout.trim();
    expect(secret).toMatch(/^ikt_[A-Za-z0-9_-]{40,}$/);
    const listed = await cli(['token', 'list']);
    expect(listed.stdout).toContain('ci');
    expect(listed.stdout).not.toContain(secret);

    // The read token reads, and is refused a change (403 naming the level).
    const bearer = { Authorization: `Bearer ${secret}` };
    expect((await fetch(`${url}/api/servers`, { headers: bearer })).status).toBe(200);
    const refused = await fetch(`${url}/api/servers`, {
      method: 'POST',
      headers: { ...bearer, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 's9', host: '127.0.0.1' }),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('needs admin access');

    // alice signs in over real HTTP: cookie flags, CSRF on changes, logout.
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-password-long' }),
    });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const cookie = setCookie.split(';')[0]!;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const logout = (headers: Record<string, string>) =>
      fetch(`${url}/api/auth/logout`, { method: 'POST', headers: { Cookie: cookie, ...headers } });
    expect((await logout({})).status).toBe(403);
    expect((await fetch(`${url}/api/apps`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await logout({ 'X-CSRF-Token': csrfToken })).status).toBe(200);
    expect((await fetch(`${url}/api/apps`, { headers: { Cookie: cookie } })).status).toBe(401);

    expect((await cli(['token', 'revoke', 'ci'])).code).toBe(0);
    expect((await fetch(`${url}/api/servers`, { headers: bearer })).status).toBe(403);

    // The audit log has it all, with actors; the chain verifies, then finds an edited row.
    const audit = JSON.parse((await cli(['audit', 'list', '--json', '--limit', '200'])).stdout) as {
      seq: number;
      actor: string;
      action: string;
    }[];
    const actions = audit.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.add', 'token.create', 'token.revoke', 'auth.login']));
    expect(actions).toContain('POST /api/auth/logout');
    expect(JSON.stringify(audit)).not.toContain('alice-password-long');
    expect(JSON.stringify(audit)).not.toContain(secret);
    const ok = await cli(['audit', 'verify']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr + ok.stdout).toMatch(/intact/);

    const target = audit.find((e) => e.action === 'token.create')!;
    const db = new BetterSqlite3(join(home, 'infrakt.db'));
    try {
      db.prepare("UPDATE audit_events SET target = 'nobody' WHERE seq = ?").run(target.seq);
    } finally {
      db.close();
    }
    const broken = await cli(['audit', 'verify', '--json']);
    expect(broken.code).toBe(EXIT_CODES.STATE);
    expect(JSON.parse(broken.stdout.split('\n{')[0]!)).toMatchObject({
      ok: false,
      problem: { seq: target.seq, kind: 'altered' },
    });
  }, 240_000);
});
