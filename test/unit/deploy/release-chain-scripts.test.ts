// The shell pieces of a deploy's single release script, run through the real /bin/sh: files written from one
// stdin (contents exact, hostile bytes inert, modes, no temp files left, nothing half-written on failure), the
// server-side health wait against a real HTTP server on loopback (each probe reported; healthy, accepted,
// timed out, stopped running, no curl), and the proxy lock taken with an inline owner.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec, render } from '../../../src/core/cmd/index.js';
import * as fs from '../../../src/core/commands/fs.js';
import { HEALTH_EXIT, healthWait, parseProbeLine } from '../../../src/core/commands/http.js';
import * as lock from '../../../src/core/commands/lock.js';

const sh = (script: string, input = '', env: NodeJS.ProcessEnv = process.env) =>
  spawnSync('/bin/sh', ['-c', script], { input, encoding: 'utf8', env });

/** Async: the HTTP server under test runs in this process. */
function shAsync(script: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const c = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    c.stdout.on('data', (d) => {
      stdout += d;
    });
    c.on('close', (code) => resolve({ code, stdout }));
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ikt-chain-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFilesFromStdin', () => {
  const target = (name: string) => ({ path: join(dir, name), mode: 0o600, tmp: join(dir, `.${name}.tmp`) });

  it('writes every file from one stdin, exactly, with its mode, leaving no temp file', () => {
    const mark = join(dir, 'MARK');
    const hostile = `A: "$(touch ${mark})" \`touch ${mark}\` '; rm -rf / #\n%s %% \\ \u00e9\n`;
    const files = [
      { ...target('a.yml'), content: hostile },
      { ...target('b.yml'), mode: 0o644, content: 'no trailing newline' },
      { ...target('c.yml'), content: '' },
    ];
    const r = sh(render(fs.writeFilesFromStdin(files)), fs.filesPayload(files.map((f) => f.content)));
    expect(r.status).toBe(0);
    for (const f of files) {
      expect(readFileSync(f.path, 'utf8')).toBe(f.content);
      expect(statSync(f.path).mode & 0o777).toBe(f.mode);
    }
    expect(existsSync(mark)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('fails without a half-written target when a directory is missing', () => {
    const ok = target('ok.yml');
    const bad = { path: join(dir, 'missing', 'x.yml'), mode: 0o600, tmp: join(dir, 'missing', '.x.tmp') };
    const r = sh(render(fs.writeFilesFromStdin([ok, bad])), fs.filesPayload(['one', 'two']));
    expect(r.status).not.toBe(0);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });
});

describe('healthWait (curl on the server, real HTTP on loopback)', () => {
  let server: Server;
  let port: number;
  let answers: number[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/health' ? (answers.shift() ?? 200) : 404;
      res.end(req.headers.host ?? '');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const wait = (o: Partial<Parameters<typeof healthWait>[0]> = {}) =>
    render(
      healthWait({
        port,
        path: '/health',
        timeoutMs: 2000,
        intervalMs: 100,
        stillRunning: exec('true'),
        probeTimeoutMs: 2000,
        ...o,
      }),
    );
  const probes = (out: string) => out.split('\n').flatMap((l) => parseProbeLine(l) ?? []);

  it('probes until the path answers 200-399, printing each probe', async () => {
    answers = [503, 503, 204];
    const r = await shAsync(wait());
    expect(r.code).toBe(0);
    expect(probes(r.stdout).map((p) => p.status)).toEqual([503, 503, 204]);
  });

  it('an accepted status counts as up; without it the deadline fails the wait (exit 95)', async () => {
    answers = [401];
    expect((await shAsync(wait({ accept: [401] }))).code).toBe(0);
    answers = Array(100).fill(401);
    const r = await shAsync(wait({ timeoutMs: 1000 }));
    expect(r.code).toBe(HEALTH_EXIT.timedOut);
    expect(probes(r.stdout).at(-1)?.status).toBe(401);
  });

  it('a release that stopped running fails at the third probe (exit 96); no answer is status null', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const r = await shAsync(wait({ port: closed, stillRunning: exec('false'), timeoutMs: 60_000 }));
    expect(r.code).toBe(HEALTH_EXIT.stopped);
    expect(probes(r.stdout)).toHaveLength(3);
    expect(probes(r.stdout)[0]).toMatchObject({ status: null, curlExit: 7 });
  });

  it('says so (exit 97) when the server has no curl', () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    // Only a shell on the PATH: no curl.
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const r = sh(wait(), '', { ...process.env, PATH: bin });
    expect(r.status).toBe(HEALTH_EXIT.noCurl);
  });
});

describe('lock.acquireWithOwner', () => {
  it('takes the lock with the owner file from the command, and reports a held lock with exit 3', () => {
    const root = join(dir, 'root');
    const owner = { holder: "me@here (cli) 'quoted'", jobId: 'j_1', since: '2026-11-30T00:00:00Z', token: 'abc123' };
    const take = render(lock.acquireWithOwner(root, 'proxy', owner));
    expect(sh(take).status).toBe(0);
    expect(lock.parseOwner(readFileSync(join(root, 'locks/proxy.lock/owner'), 'utf8'))).toEqual(owner);
    const again = sh(render(lock.acquireWithOwner(root, 'proxy', { ...owner, token: 'other' })));
    expect(again.status).toBe(lock.LOCK_HELD_EXIT);
    expect(lock.parseOwner(again.stdout)?.token).toBe('abc123');
    expect(sh(render(lock.release(root, 'proxy', 'abc123'))).status).toBe(0);
  });
});
