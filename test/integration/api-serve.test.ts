// `infrakt serve` as a user runs it (the built CLI): key file on first start, loopback bind, rotation
// without restart, clean SIGTERM, and a restart marking jobs of the killed process INTERRUPTED.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, ensureCliBuilt, REPO_ROOT, runCli } from '../harness/cli.js';

let home: string;
let blackhole: Server;
let blackholePort: number;
let clientKey: string;
const sockets: Socket[] = [];
const children: ChildProcess[] = [];

interface Serve {
  child: ChildProcess;
  url: string;
  output: () => string;
}

async function serve(): Promise<Serve> {
  const child = spawn(process.execPath, [CLI_BIN, 'serve', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    // The banner's last line names the reverse proxy option.
    if (m?.[1] && /reverse proxy/.test(out)) return { child, url: m[1], output: () => out };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

beforeAll(async () => {
  ensureCliBuilt();
  home = mkdtempSync(join(tmpdir(), 'ikt-test-serve-'));
  // Accepts TCP and never answers: an SSH connection to it stays in its handshake (a job that keeps running).
  blackhole = createServer((s) => {
    sockets.push(s);
  });
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
  blackholePort = (blackhole.address() as { port: number }).port;
  // Over the API, key files are accepted only from $INFRAKT_HOME/keys.
  mkdirSync(join(home, 'keys'), { mode: 0o700 });
  clientKey = join(home, 'keys', 'id_test');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of sockets) s.destroy();
  await new Promise((r) => blackhole?.close(r));
  rmSync(home, { recursive: true, force: true });
});

describe('infrakt serve', () => {
  it('first start: creates the 0600 key, binds loopback, says how to expose it; never prints the key off a TTY', async () => {
    const s = await serve();
    const keyFile = join(home, 'api_key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(s.output()).toContain(keyFile);
    expect(s.output()).toMatch(/ssh -L/);
    expect(s.output()).toMatch(/reverse proxy/);
    expect(s.output()).not.toContain(key);
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${s.url}/api/servers`, { headers: { 'X-API-Key': key } })).status).toBe(200);

    // Rotation takes effect without a restart.
    const rotated = await runCli(['api-key', 'rotate'], { home });
    expect(rotated.code).toBe(0);
    const fresh = rotated.stdout.trim();
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await fetch(`${s.url}/api/servers`, { headers: { 'X-API-Key': key } })).status).toBe(403);
    expect((await fetch(`${s.url}/api/servers`, { headers: { 'X-API-Key': fresh } })).status).toBe(200);
    expect((await runCli(['api-key', 'show'], { home })).stdout.trim()).toBe(fresh);

    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);
    expect(s.output()).not.toContain(fresh);
  });

  it('a job of a killed serve is marked INTERRUPTED by the next start', async () => {
    const s = await serve();
    const key = readFileSync(join(home, 'api_key'), 'utf8').trim();
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${s.url}${path}`, { ...init, headers: { 'X-API-Key': key, 'Content-Type': 'application/json' } });
    const add = await call('/api/servers', {
      method: 'POST',
      // An expected fingerprint counts as pinned: the connection goes ahead (and hangs in the handshake).
      body: JSON.stringify({
        name: 'stuck',
        host: '127.0.0.1',
        port: blackholePort,
        fingerprint: `SHA256:${'A'.repeat(43)}`,
        keyPath: clientKey,
      }),
    });
    expect(add.status).toBe(201);
    const started = await call('/api/servers/stuck/exec', {
      method: 'POST',
      body: JSON.stringify({ command: 'true' }),
    });
    expect(started.status).toBe(202);
    const { jobId } = (await started.json()) as { jobId: string };
    // The job outlives its request: still running after the 202.
    const live = (await (await call(`/api/jobs/${jobId}`)).json()) as { status: string; error: unknown };
    expect(live, JSON.stringify(live)).toMatchObject({ status: 'running' });

    s.child.kill('SIGKILL');
    await exited(s.child);
    const again = await serve();
    const res = await fetch(`${again.url}/api/jobs/${jobId}`, { headers: { 'X-API-Key': key } });
    const job = (await res.json()) as { status: string; error: { code: string } };
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('INTERRUPTED');
    again.child.kill('SIGTERM');
    expect(await exited(again.child)).toBe(0);
  });

  it('a key file swapped for a FIFO never freezes the API; the CLI refuses non-regular key files (issue 11 item 6)', async () => {
    const s = await serve();
    const key = readFileSync(join(home, 'api_key'), 'utf8').trim();
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${s.url}${path}`, {
        ...init,
        headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
        signal: AbortSignal.timeout(20_000),
      });
    const keyFile = join(home, 'keys', 'swapped');
    copyFileSync(clientKey, keyFile);
    const add = await call('/api/servers', {
      method: 'POST',
      body: JSON.stringify({ name: 'swapped', host: '127.0.0.1', port: blackholePort, keyPath: 'swapped' }),
    });
    expect(add.status).toBe(201);
    rmSync(keyFile);
    execFileSync('mkfifo', [keyFile]);
    // Testing the server reads the key: a blocking read of a FIFO would hang the whole process.
    const probe = call('/api/servers/swapped/test', { method: 'POST' });
    const health = await fetch(`${s.url}/api/health`, { signal: AbortSignal.timeout(5_000) });
    expect(health.status).toBe(200);
    const res = await probe;
    expect(res.status).toBe(200);
    const result = (await res.json()) as { status: string; error: { code: string; message: string } };
    expect(result.status).toBe('auth_failed');
    expect(result.error.message).toMatch(/missing or unreadable/);

    for (const bad of [keyFile, '/dev/zero', join(home, 'keys')]) {
      const r = await runCli(['server', 'add', '--name', 'cli-fifo', '--host', '127.0.0.1', '--key', bad], { home });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/not a regular file/);
    }
    expect((await runCli(['server', 'show', 'cli-fifo'], { home })).code).toBe(3);
    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);
  });
});
