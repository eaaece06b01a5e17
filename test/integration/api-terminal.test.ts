// The terminal WebSocket of `infrakt serve` against a harness sshd with the real Docker engine: a ticket from
// the key-guarded API, a shell in the app's container through a real pty, resize, exit status, hang-up ending
// the session's processes in the container, and every refusal (no key, bad input, reused or unknown ticket,
// another origin) changing nothing. App exec and cron over the API (as jobs) too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { resolvePaths } from '../../src/adapters/local/home.js';
import { loadApiKey } from '../../src/adapters/secrets/api-key.js';
import { type RunningServer, startApiServer } from '../../src/api/server.js';
import { cleanupDocker, docker, rand, removeAppImages } from '../e2e/deploy-harness.js';
import { cleanupHomes, makeInfraktHome, registerHarnessServer, runCli } from '../harness/cli.js';
import { type SshdHost, startSshd, stopAllSshd } from '../harness/sshd.js';

interface Term {
  ws: WebSocket;
  output: () => string;
  control: { type: string; [k: string]: unknown }[];
  closed: Promise<{ code: number }>;
  type(text: string): void;
  until(what: string, check: () => boolean, ms?: number): Promise<void>;
}

describe('web terminal over the API (sshd, Docker)', () => {
  let home: string;
  let host: SshdHost;
  let srv: RunningServer;
  let key: string;
  const server = `ikt-test-${rand()}`;
  const app = `ikt-test-${rand()}`;
  const call = (path: string, init: { method?: string; json?: unknown; key?: string | null } = {}) =>
    fetch(`${srv.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.key === null ? {} : { 'X-API-Key': init.key ?? key }),
        ...(init.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
  const ticket = async (body: Record<string, unknown> = {}) => {
    const r = await call(`/api/apps/${app}/terminal`, { method: 'POST', json: { cols: 100, rows: 30, ...body } });
    expect(r.status, await r.clone().text()).toBe(201);
    return (await r.json()) as { ticket: string; path: string; title: string };
  };

  beforeAll(async () => {
    home = makeInfraktHome();
    host = await startSshd();
    await registerHarnessServer(home, host, server);
    for (const args of [
      ['server', 'set', server, '--pull-policy', 'never'],
      ['app', 'create', '--server', server, '--name', app, '--image', 'infrakt-test/web:3', '--port', '3000'],
      ['env', 'set', app, 'GREETING=hello from env'],
      ['app', 'deploy', app],
    ]) {
      const r = await runCli(args, { home });
      if (r.code !== 0) throw new Error(`infrakt ${args.join(' ')} → ${r.code}\n${r.stderr}${r.stdout}`);
    }
    srv = await startApiServer({
      port: 0,
      host: '127.0.0.1',
      paths: resolvePaths({ INFRAKT_HOME: home }),
      log: () => {},
    });
    key = loadApiKey(srv.apiKeyFile);
  });

  afterAll(async () => {
    await srv?.close();
    if (host) cleanupDocker(host.root);
    removeAppImages(app);
    await stopAllSshd();
    cleanupHomes();
  });

  function open(path: string, origin?: string): Term {
    const ws = new WebSocket(`${srv.url.replace('http', 'ws')}${path}`, origin ? { origin } : {});
    let out = '';
    const control: Term['control'] = [];
    ws.on('message', (data, binary) => {
      if (binary) out += Buffer.from(data as Buffer).toString('utf8');
      else control.push(JSON.parse(String(data)));
    });
    const closed = new Promise<{ code: number }>((resolve) => ws.on('close', (code) => resolve({ code })));
    ws.on('error', () => {});
    const term: Term = {
      ws,
      output: () => out,
      control,
      closed,
      type: (text) => ws.send(Buffer.from(text), { binary: true }),
      async until(what, check, ms = 60_000) {
        const deadline = Date.now() + ms;
        while (!check()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; terminal: ${JSON.stringify(out)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
    };
    return term;
  }

  it('opens a shell in the container: output, resize, exit status', async () => {
    const t = await ticket();
    expect(t.title).toContain(`${app} on ${server}`);
    const term = open(t.path);
    await term.until('ready', () => term.control.some((m) => m.type === 'ready'));
    term.type('echo "marker-$((6 * 7)) [$GREETING]"\n');
    await term.until('the echo', () => term.output().includes('marker-42 [hello from env]'));
    // docker sets the exec's pty size just after the program starts, so a command typed at once can see 0x0:
    // ask again until the size asked for at open has arrived (it never does if the size is lost).
    const sizeArrives = async (size: RegExp, what: string) => {
      const deadline = Date.now() + 60_000;
      while (!size.test(term.output())) {
        if (Date.now() > deadline) throw new Error(`${what} never arrived; terminal: ${JSON.stringify(term.output())}`);
        term.type('stty size\n');
        await new Promise((r) => setTimeout(r, 2_000));
      }
    };
    await sizeArrives(/\b30 100\b/, 'the open size');
    // docker applies a resize to the exec asynchronously too: the same patience.
    term.ws.send(JSON.stringify({ type: 'resize', cols: 132, rows: 43 }));
    await sizeArrives(/\b43 132\b/, 'the new size');
    term.type('exit 3\n');
    await term.closed;
    expect(term.control.at(-1)).toEqual({ type: 'exit', code: 3 });
  });

  it('a closed socket hangs up: the processes of the session end in the container', async () => {
    const marker = `sleep-${rand()}`;
    const term = open((await ticket({ mode: 'exec', command: ['sh', '-c', `sleep 600; : ${marker}`] })).path);
    const container = docker('ps', '-q', '--filter', `label=infrakt.app=${app}`).split('\n')[0]!;
    const running = () => docker('top', container, '-o', 'pid,args').includes(marker);
    await term.until('the command to run', running);
    term.ws.terminate();
    await term.until('the session process to end', () => !running(), 30_000);
  });

  it('a ticket works once, only from the same origin, and only from the API with the key', async () => {
    // Without the key: no ticket.
    const noKey = await call(`/api/apps/${app}/terminal`, { method: 'POST', json: { cols: 80, rows: 24 }, key: null });
    expect(noKey.status).toBe(401);
    // Another origin (a page elsewhere that got hold of a ticket): refused, and the ticket is not spent.
    const t = await ticket();
    const foreign = open(t.path, 'http://evil.example');
    expect((await foreign.closed).code).toBe(1006);
    expect(foreign.control).toEqual([]);
    const same = open(t.path, srv.url);
    await same.until('ready', () => same.control.some((m) => m.type === 'ready'));
    // Used: a second connection with it is refused.
    const again = open(t.path);
    expect((await again.closed).code).toBe(1006);
    same.ws.close();
    await same.closed;
    const unknown = open(`/api/terminals/${'A'.repeat(43)}`);
    expect((await unknown.closed).code).toBe(1006);
  });

  it('refuses bad requests with the API error shape before any session', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      [`/api/apps/${app}/terminal`, { cols: 0, rows: 24 }, 400, /cols/],
      [`/api/apps/${app}/terminal`, { cols: 80, rows: 24, mode: 'exec' }, 400, /no command given/],
      [`/api/apps/${app}/terminal`, { cols: 80, rows: 24, service: 'bad name!' }, 400, /invalid service name/],
      ['/api/apps/no-such-app/terminal', { cols: 80, rows: 24 }, 404, /not found/],
      ['/api/servers/no-such-server/terminal', { cols: 80, rows: 24 }, 404, /not found/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await call(path, { method: 'POST', json: body });
      expect(r.status, path).toBe(status);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
  });

  it('opens a login shell on the server', async () => {
    const r = await call(`/api/servers/${server}/terminal`, { method: 'POST', json: { cols: 80, rows: 24 } });
    expect(r.status).toBe(201);
    const term = open(((await r.json()) as { path: string }).path);
    await term.until('ready', () => term.control.some((m) => m.type === 'ready'));
    term.type('echo "on-$((40 + 2))"; exit\n');
    await term.until('the echo', () => term.output().includes('on-42'));
    await term.closed;
  });

  it('runs app exec as a job over the API: output in the job log, exit status in the result', async () => {
    const start = async (command: string[]) => {
      const r = await call(`/api/apps/${app}/exec`, { method: 'POST', json: { mode: 'run', command } });
      expect(r.status).toBe(202);
      return ((await r.json()) as { jobId: string }).jobId;
    };
    const finished = async (id: string) => {
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
        const job = (await (await call(`/api/jobs/${id}`)).json()) as { status: string; result: unknown };
        if (!['queued', 'running'].includes(job.status)) return job;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`job ${id} did not finish`);
    };
    const ok = await finished(await start(['sh', '-c', 'echo "ran $GREETING"']));
    expect(ok).toMatchObject({ status: 'succeeded', result: { app, exitCode: 0 } });
    const id = await start(['sh', '-c', 'echo failing; exit 4']);
    expect(await finished(id)).toMatchObject({ status: 'failed' });
    const logs = (await (await call(`/api/jobs/${id}/logs`)).json()) as { line: string }[];
    expect(logs.map((l) => l.line)).toContain('failing');
    const bad = await call(`/api/apps/${app}/exec`, { method: 'POST', json: { command: [] } });
    expect(bad.status).toBe(400);
  });
});
