// Proves the local test images work on the real engine, as deploy and database tests will use them:
// started with --pull never, published on 127.0.0.1 only, removed afterwards.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupDocker,
  composeAvailable,
  containerState,
  docker,
  dockerExec,
  ensureTestImages,
  pollUntil,
  publishedPort,
  requireDocker,
  runContainer,
  shouldRunDockerTests,
  TEST_IMAGES,
  TEST_LABEL,
  uniqueName,
  waitForHttp,
} from '../harness/docker.js';

const prefix = uniqueName();

/** One RESP exchange over TCP from the host: sends the commands, collects replies until `want` lines arrived. */
function redisTalk(port: number, commands: string[][], want: number): Promise<string[]> {
  const wire = commands.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  return new Promise((done, fail) => {
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    sock.setTimeout(5_000, () => sock.destroy(new Error('redis did not answer')));
    sock.on('connect', () => sock.write(wire.join('')));
    sock.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\r\n').filter(Boolean);
      if (lines.length >= want) {
        sock.end();
        done(lines);
      }
    });
    sock.on('error', fail);
    // docker-proxy accepts and then closes while redis is still starting: settle, so the poll tries again.
    sock.on('close', () => fail(new Error(`redis closed the connection after ${JSON.stringify(buf)}`)));
  });
}

describe.skipIf(!(await shouldRunDockerTests()))('docker test harness and images', () => {
  beforeAll(async () => {
    await requireDocker();
    await ensureTestImages();
  });
  afterAll(async () => {
    await cleanupDocker(prefix);
  });

  it('has all test images locally, each labelled with its recipe hash', async () => {
    for (const image of Object.values(TEST_IMAGES)) {
      const { stdout } = await docker([
        'image',
        'inspect',
        '-f',
        '{{index .Config.Labels "infrakt.test.recipe"}}',
        image,
      ]);
      expect(stdout.trim(), image).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('has Compose v2 (plugin) and v1', async () => {
    expect(await composeAvailable()).toEqual({ v2: true, v1: true });
  });

  it('web:1 serves its version, /health, and the env it was given', async () => {
    const name = `${prefix}-web1`;
    await runContainer({
      image: TEST_IMAGES.web1,
      name,
      publish: [3000],
      env: { APP_MESSAGE: "hello 'quoted' $HOME world", OTHER: 'x=y' },
    });
    const port = await publishedPort(name, 3000);
    const base = `http://127.0.0.1:${port}`;
    expect(await waitForHttp(`${base}/`)).toContain('version=v1');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/env`)).text()).toBe("APP_MESSAGE=hello 'quoted' $HOME world\n");
    const cgi = await (await fetch(`${base}/cgi-bin/env?APP_MESSAGE,OTHER,MISSING`)).text();
    expect(cgi).toBe("APP_MESSAGE=hello 'quoted' $HOME world\nOTHER=x=y\nMISSING (unset)\n");
    // Names are validated before the CGI evaluates them.
    expect(await (await fetch(`${base}/cgi-bin/env?$(id)`)).text()).toBe('');
    expect((await fetch(`${base}/whoami`)).status).toBe(200);
  });

  it('web:2 serves v2 on a custom PORT', async () => {
    const name = `${prefix}-web2`;
    await runContainer({ image: TEST_IMAGES.web2, name, publish: [8080], env: { PORT: '8080' } });
    const port = await publishedPort(name, 8080);
    expect(await waitForHttp(`http://127.0.0.1:${port}/`)).toContain('version=v2');
  });

  it('FAIL_HEALTH=1 makes /health 404 while / still serves', async () => {
    const name = `${prefix}-sick`;
    await runContainer({ image: TEST_IMAGES.web1, name, publish: [3000], env: { FAIL_HEALTH: '1' } });
    const port = await publishedPort(name, 3000);
    await waitForHttp(`http://127.0.0.1:${port}/`);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(404);
  });

  it('START_DELAY holds the app back; CRASH=1 exits non-zero; docker stop is immediate', async () => {
    const slow = `${prefix}-slow`;
    const started = Date.now();
    await runContainer({ image: TEST_IMAGES.web1, name: slow, publish: [3000], env: { START_DELAY: '2' } });
    const port = await publishedPort(slow, 3000);
    await waitForHttp(`http://127.0.0.1:${port}/health`, { timeoutMs: 15_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);

    const t0 = Date.now();
    await docker(['stop', slow]);
    // PID 1 forwards TERM: no 10 s wait for SIGKILL (the bound is that grace period, not this machine's speed).
    expect(Date.now() - t0).toBeLessThan(9_500);

    const crash = `${prefix}-crash`;
    await runContainer({ image: TEST_IMAGES.web1, name: crash, env: { CRASH: '1' } });
    const state = await pollUntil('the crashing container to exit', async () => {
      const s = await containerState(crash);
      return s && !s.running ? s : undefined;
    });
    expect(state.exitCode).toBe(1);
  });

  it('redis:7 requires REDIS_PASSWORD and answers PING with it', async () => {
    const name = `${prefix}-redis`;
    const password = 'pa"ss \\ word';
    await runContainer({
      image: TEST_IMAGES.redis,
      name,
      publish: [6379],
      volumes: [`${prefix}-redis-data:/data`],
      env: { REDIS_PASSWORD: password },
    });
    const port = await publishedPort(name, 6379);
    // From the host over TCP: unauthenticated PING is refused, AUTH + PING works.
    const noAuth = await pollUntil('redis to answer', async () => (await redisTalk(port, [['PING']], 1))[0]);
    expect(noAuth).toMatch(/^-NOAUTH/);
    expect(await redisTalk(port, [['AUTH', password], ['PING']], 2)).toEqual(['+OK', '+PONG']);
    // Inside with redis-cli; the password travels on stdin, not argv.
    const r = await dockerExec(name, ['sh', '-c', 'IFS= read -r REDISCLI_AUTH; export REDISCLI_AUTH; redis-cli ping'], {
      input: `${password}\n`,
    });
    expect(r.stdout.trim()).toBe('PONG');
    // The password is in no process's argv inside the container.
    const ps = await dockerExec(name, ['sh', '-c', 'cat /proc/[0-9]*/cmdline | tr "\\0" " "']);
    expect(ps.stdout).not.toContain('pa"ss');
  });

  it('postgres:15 initialises with POSTGRES_* and accepts the password; pg_dump -Fc works inside', async () => {
    const name = `${prefix}-pg`;
    const password = 'p\'w "x" $y';
    await runContainer({
      image: TEST_IMAGES.postgres,
      name,
      publish: [5432],
      volumes: [`${prefix}-pg-data:/var/lib/postgresql/data`],
      env: { POSTGRES_PASSWORD: password, POSTGRES_USER: 'app', POSTGRES_DB: 'app-db' },
    });
    // Readiness over TCP: the init-time server listens on no port and a private socket.
    await pollUntil(
      'postgres to accept TCP connections',
      async () =>
        (await dockerExec(name, ['pg_isready', '-h', '127.0.0.1', '-U', 'app', '-d', 'app-db'], { check: false }))
          .code === 0,
      { timeoutMs: 60_000 },
    );
    const port = await publishedPort(name, 5432);
    const psql = (pw: string, sql: string) =>
      docker(
        ['exec', '-i', '-e', 'PGPASSWORD', name, 'psql', '-h', '127.0.0.1', '-U', 'app', '-d', 'app-db', '-Atc', sql],
        {
          check: false,
          env: { ...process.env, PGPASSWORD: pw },
        },
      );
    // Over the network with scram-sha-256 (via TCP inside the container; the host needs no psql).
    const ok = await psql(password, "select current_user || '@' || current_database()");
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('app@app-db');
    const bad = await psql('wrong', 'select 1');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('password authentication failed');
    // The published port answers on 127.0.0.1 (PostgreSQL's SSLRequest gets 'N': no TLS here).
    const reply = await new Promise<string>((done, fail) => {
      const sock = connect(port, '127.0.0.1', () => sock.write(Buffer.from([0, 0, 0, 8, 4, 210, 22, 47])));
      sock.once('data', (d) => {
        sock.destroy();
        done(d.toString());
      });
      sock.on('error', fail);
    });
    expect(reply).toBe('N');

    await dockerExec(name, ['psql', '-v', 'ON_ERROR_STOP=1', '-U', 'app', '-d', 'app-db'], {
      input: "create table notes (id int primary key, body text); insert into notes values (1, 'kept');\n",
    });
    const dump = await dockerExec(name, ['pg_dump', '-Fc', '-U', 'app', 'app-db']);
    expect(dump.stdoutBytes.subarray(0, 5).toString()).toBe('PGDMP');
    const restored = await dockerExec(
      name,
      [
        'sh',
        '-c',
        'createdb -U app copy && pg_restore -U app -d copy && psql -U app -d copy -Atc "select body from notes"',
      ],
      { input: dump.stdoutBytes },
    );
    expect(restored.stdout.trim()).toBe('kept');
  });

  it('cleans up by prefix: containers, networks, volumes', async () => {
    const net = `${prefix}-net`;
    await docker(['network', 'create', net]);
    await docker(['volume', 'create', `${prefix}-vol`]);
    await runContainer({
      image: TEST_IMAGES.web1,
      name: `${prefix}-x`,
      network: net,
      volumes: [`${prefix}-vol:/data`],
    });
    await cleanupDocker(prefix);
    const left = [
      (await docker(['ps', '-a', '--filter', `label=${TEST_LABEL}`, '--format', '{{.Names}}'])).stdout,
      (await docker(['network', 'ls', '--format', '{{.Name}}'])).stdout,
      (await docker(['volume', 'ls', '-q'])).stdout,
    ]
      .join('\n')
      .split('\n')
      .filter((n) => n.startsWith(prefix));
    expect(left).toEqual([]);
  });
});
