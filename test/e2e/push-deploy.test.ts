// Push to deploy end to end: a real `infrakt serve` (the built CLI) receives signed deliveries and deploys
// exactly the pushed commit of a real git repository on a harness sshd server (Docker, Caddy); pull request
// events drive previews; its monitor sees a stopped app go down and up again and its outbox delivers the
// events to a real SMTP server (smtp-server) and a signed-webhook receiver, both on loopback; its poller
// deploys a commit nobody announced.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { CLI_BIN, ensureCliBuilt, ensureWebBuilt, REPO_ROOT } from '../harness/cli.js';
import { freePort } from '../harness/sshd.js';
import { type DeployEnv, deployEnv, docker, get, rand, removeAppImages } from './deploy-harness.js';

const gitIn = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=ikt', '-c', 'user.email=ikt@test', ...args], {
    encoding: 'utf8',
  }).trim();

/** Commits `body` as index.html on the checked-out branch; returns the commit id. */
function commit(repo: string, body: string): string {
  writeFileSync(join(repo, 'index.html'), `${body}\n`);
  gitIn(repo, 'commit', '-q', '-am', body);
  return gitIn(repo, 'rev-parse', 'HEAD');
}

/** Polls `probe` until it returns a value, or fails with the last state after `ms`. */
async function until<T>(what: string, ms: number, probe: () => Promise<T | null | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v !== null && v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Mail {
  subject: string;
  raw: string;
}

describe('push to deploy, previews, monitoring and notifications (infrakt serve, sshd, Docker, Caddy)', () => {
  let env: DeployEnv;
  let repo: string;
  let serve: ChildProcess;
  let serveOut = '';
  let url = '';
  let apiKey = '';
  let smtp: SMTPServer;
  let smtpPort = 0;
  const mails: Mail[] = [];
  let receiver: Server;
  let receiverPort = 0;
  const received: { status: number; event: string; verified: boolean; body: string }[] = [];
  const receiverSecret = `rs-${randomUUID()}`;
  const app = `ikt-test-${rand()}`;
  const previewDomain = `prev-${rand()}.test`;
  let hookPath = '';
  let hookSecret = '';

  const api = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${url}${path}`, { headers: { 'X-API-Key': apiKey } });
    if (r.status !== 200) throw new Error(`GET ${path} → ${r.status}: ${await r.text()}`);
    return (await r.json()) as T;
  };
  const jobDone = (id: string) =>
    until(`job ${id}`, 150_000, async () => {
      const j = await api<{ status: string; error?: { message: string } | null }>(`/api/jobs/${id}`);
      if (j.status === 'failed' || j.status === 'cancelled')
        throw new Error(`job ${id} ${j.status}: ${j.error?.message}`);
      return j.status === 'succeeded' ? j : null;
    });
  /** A delivery signed as the forge does it (GitHub by default), over the exact body bytes. */
  const deliver = async (
    event: string,
    payload: unknown,
    o: { secret?: string; id?: string; forge?: 'github' | 'gitea' | 'gitlab' } = {},
  ) => {
    const body = JSON.stringify(payload);
    const secret = o.secret ?? hookSecret;
    const sig = createHmac('sha256', secret).update(body).digest('hex');
    const id = o.id ?? randomUUID();
    const forge = o.forge ?? 'github';
    const headers: Record<string, string> =
      forge === 'github'
        ? { 'x-github-event': event, 'x-github-delivery': id, 'x-hub-signature-256': `sha256=${sig}` }
        : forge === 'gitea'
          ? { 'x-gitea-event': event, 'x-gitea-delivery': id, 'x-gitea-signature': sig }
          : { 'x-gitlab-event': event, 'idempotency-key': id, 'x-gitlab-token': secret };
    const r = await fetch(`${url}${hookPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: r.status, body: (await r.json()) as { outcome: string; jobId?: string; reason?: string } };
  };
  const deployments = async (name: string) =>
    JSON.parse((await env.ok(['app', 'deployments', name, '--json'])).stdout) as {
      source: string;
      current: boolean;
    }[];
  const currentSource = async (name: string) => (await deployments(name)).find((d) => d.current)?.source ?? null;

  beforeAll(async () => {
    ensureCliBuilt();
    env = await deployEnv();
    repo = mkdtempSync(join(tmpdir(), 'ikt-test-repo-'));
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    // Builds FROM a local test image: nothing is pulled.
    writeFileSync(join(repo, 'Dockerfile'), 'FROM infrakt-test/web:2\nCOPY index.html /www/index.html\n');
    writeFileSync(join(repo, 'index.html'), 'one\n');
    gitIn(repo, 'add', '.');
    gitIn(repo, 'commit', '-q', '-m', 'one');

    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, cb) {
        let raw = '';
        stream.on('data', (b: Buffer) => {
          raw += b.toString('utf8');
        });
        stream.on('end', () => {
          mails.push({ subject: /^Subject: (.*)$/m.exec(raw)?.[1] ?? '', raw });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.server.address() as AddressInfo).port;

    // Refuses its first delivery (a receiver that is down for a moment), then verifies every signature.
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => {
        body += b.toString('utf8');
      });
      req.on('end', () => {
        const ts = String(req.headers['x-infrakt-timestamp'] ?? '');
        const expected = `sha256=${createHmac('sha256', receiverSecret).update(`${ts}.${body}`).digest('hex')}`;
        const status = received.length === 0 ? 503 : 200;
        received.push({
          status,
          event: String(req.headers['x-infrakt-event'] ?? ''),
          verified: req.headers['x-infrakt-signature'] === expected,
          body,
        });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverPort = (receiver.address() as AddressInfo).port;

    serve = spawn(
      process.execPath,
      [
        CLI_BIN,
        'serve',
        '--port',
        '0',
        '--monitor-interval',
        '2',
        '--monitor-timeout',
        '5',
        '--down-after',
        '2',
        '--notify-retry',
        '1',
      ],
      { cwd: REPO_ROOT, env: { ...process.env, INFRAKT_HOME: env.home, NO_COLOR: '1' }, stdio: 'pipe' },
    );
    serve.stdout?.on('data', (b: Buffer) => {
      serveOut += b.toString();
    });
    serve.stderr?.on('data', (b: Buffer) => {
      serveOut += b.toString();
    });
    url = await until('infrakt serve', 30_000, async () => {
      if (serve.exitCode !== null) throw new Error(`serve exited:\n${serveOut}`);
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(serveOut);
      return m && /watching/.test(serveOut) ? m[1] : null;
    });
    expect(serveOut).toContain('monitor every 2s');
    apiKey = readFileSync(join(env.home, 'api_key'), 'utf8').trim();

    await env.ok([
      ...['app', 'create', '--server', env.server, '--name', app, '--git', repo, '--branch', 'main'],
      ...['--port', '3000', '--domain', `${app}.test`, '--health-path', '/health'],
    ]);
    const hook = JSON.parse((await env.ok(['app', 'webhook', 'enable', app, '--json'])).stdout) as {
      path: string;
      secret: string;
    };
    hookPath = hook.path;
    hookSecret = hook.secret;
    expect(hookSecret.length).toBeGreaterThanOrEqual(32);
  });

  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await new Promise((r) => serve.once('exit', r));
    }
    await new Promise((r) => smtp?.close(() => r(null)));
    await new Promise((r) => receiver?.close(r));
    await env?.close();
    removeAppImages(app);
    removeAppImages(`${app}-pr-1`);
    rmSync(repo, { recursive: true, force: true });
  });

  it('a signed push deploys exactly the pushed commit; bad signature, other branch and redelivery deploy nothing', async () => {
    const pushed = commit(repo, 'two');
    const later = commit(repo, 'three'); // the branch moved on after the push: the pushed commit still deploys
    const id = randomUUID();
    const push = { ref: 'refs/heads/main', after: pushed, before: '0'.repeat(40) };
    const r = await deliver('push', push, { id });
    expect(r.status).toBe(202);
    expect(r.body.outcome).toBe('queued');
    // Answered before the deploy ran (a git host gives up after ~10 s), not after it.
    const early = await api<{ status: string }>(`/api/jobs/${r.body.jobId}`);
    expect(['queued', 'running']).toContain(early.status);
    await jobDone(r.body.jobId!);
    expect((await get(env.httpPort, `${app}.test`)).body).toBe('two\n');
    expect(await currentSource(app)).toBe(pushed);

    const before = (await deployments(app)).length;
    expect((await deliver('push', { ...push, after: later }, { secret: 'not-the-secret' })).status).toBe(403);
    const other = await deliver('push', { ...push, ref: 'refs/heads/feature', after: later }, { forge: 'gitea' });
    expect(other).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
    const token = await deliver('Push Hook', { ...push, after: later }, { forge: 'gitlab', secret: 'wrong-token' });
    expect(token.status).toBe(403);
    const again = await deliver('push', push, { id });
    expect(again).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    // An unsigned delivery is refused too, and nothing reads its body.
    const unsigned = await fetch(`${url}${hookPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
      body: JSON.stringify({ ...push, after: later }),
    });
    expect(unsigned.status).toBe(401);
    expect((await deployments(app)).length).toBe(before);
    expect(await currentSource(app)).toBe(pushed);

    const log = JSON.parse((await env.ok(['app', 'webhook', 'deliveries', app, '--json'])).stdout) as {
      outcome: string;
      commit: string | null;
      jobStatus: string | null;
    }[];
    expect(log.map((d) => d.outcome).sort()).toEqual([
      'duplicate',
      'ignored',
      'queued',
      'rejected',
      'rejected',
      'rejected',
    ]);
    expect(log.find((d) => d.outcome === 'queued')).toMatchObject({ commit: pushed, jobStatus: 'succeeded' });
  });

  it('pull request opened → preview on pr-1.<domain>; synchronize → updated; closed → nothing left', async () => {
    await env.ok(['app', 'previews', app, '--enable', '--domain', previewDomain, '--max', '2']);
    gitIn(repo, 'checkout', '-q', '-b', 'feature');
    const head1 = commit(repo, 'pr one');
    gitIn(repo, 'checkout', '-q', 'main');
    const pr = (action: string, sha: string) => ({
      action,
      number: 1,
      pull_request: { head: { sha, ref: 'feature' }, base: { ref: 'main' } },
    });
    const opened = await deliver('pull_request', pr('opened', head1));
    expect(opened).toMatchObject({ status: 202, body: { outcome: 'queued' } });
    await jobDone(opened.body.jobId!);
    const host = `pr-1.${previewDomain}`;
    expect((await get(env.httpPort, host)).body).toBe('pr one\n');
    // The parent app is untouched.
    expect((await get(env.httpPort, `${app}.test`)).body).toBe('two\n');

    gitIn(repo, 'checkout', '-q', 'feature');
    const head2 = commit(repo, 'pr two');
    gitIn(repo, 'checkout', '-q', 'main');
    const sync = await deliver('pull_request', pr('synchronize', head2));
    expect(sync.status).toBe(202);
    await jobDone(sync.body.jobId!);
    expect((await get(env.httpPort, host)).body).toBe('pr two\n');
    const listed = JSON.parse((await env.ok(['app', 'previews', app, '--json'])).stdout) as {
      pr: number;
      commit: string;
      status: string;
    }[];
    expect(listed).toEqual([expect.objectContaining({ pr: 1, commit: head2, status: 'running' })]);

    const closed = await deliver('pull_request', pr('closed', head2));
    expect(closed.status).toBe(202);
    await jobDone(closed.body.jobId!);
    expect(JSON.parse((await env.ok(['app', 'previews', app, '--json'])).stdout)).toEqual([]);
    expect(docker('ps', '-aq', '--filter', `label=infrakt.app=${app}-pr-1`)).toBe('');
    expect((await get(env.httpPort, host)).body).not.toBe('pr two\n');
    expect((await env.cli(['app', 'show', `${app}-pr-1`])).code).not.toBe(0);
  });

  it('a stopped app goes down, then up; the events reach a real SMTP server and a signed webhook (after one refusal)', async () => {
    await env.ok([
      ...['notify', 'add', 'mail', '--type', 'email', '--smtp-host', '127.0.0.1', '--smtp-port', String(smtpPort)],
      ...['--smtp-security', 'none', '--from', 'infrakt@ikt.test', '--to', 'ops@ikt.test'],
      ...['--events', 'health.down,health.up'],
    ]);
    const add = await env.cli(
      [
        ...['notify', 'add', 'hook', '--type', 'webhook', '--url', `http://127.0.0.1:${receiverPort}/hook`],
        ...['--secret-stdin', '--events', 'health.down,health.up'],
      ],
      { input: receiverSecret },
    );
    expect(add.code, add.stderr).toBe(0);
    // The monitor knows the app is up before it is stopped.
    await until('app up', 60_000, async () => {
      const h = await api<{ state: string }>(`/api/apps/${app}/health`);
      return h.state === 'up' ? h : null;
    });
    const container = docker('ps', '-q', '--filter', `label=infrakt.app=${app}`).split('\n')[0]!;
    expect(container).not.toBe('');
    docker('stop', '-t', '1', container);
    const down = await until('the down mail', 60_000, async () =>
      mails.find((m) => m.subject.includes(`${app} is down`)),
    );
    expect(down.raw).toContain('To: ops@ikt.test');
    docker('start', container);
    await until('the up mail', 60_000, async () => mails.find((m) => m.subject.includes(`${app} is up again`)));
    // The receiver refused the first delivery; the retry came, signed with the channel's secret.
    await until('both webhook events', 60_000, async () =>
      received.filter((r) => r.status === 200).length >= 2 ? true : null,
    );
    expect(received[0]).toMatchObject({ status: 503, event: 'health.down', verified: true });
    expect(received.filter((r) => r.status === 200).map((r) => r.event)).toEqual(['health.down', 'health.up']);
    expect(received.every((r) => r.verified)).toBe(true);
    const health = await api<{ uptimePercent: number; samples: { ok: boolean }[] }>(`/api/apps/${app}/health`);
    expect(health.samples.some((s) => !s.ok)).toBe(true);
    expect(health.uptimePercent).toBeLessThan(100);
    const metrics = await api<{ samples: { containers: number | null }[] }>(`/api/servers/${env.server}/metrics`);
    expect(metrics.samples.length).toBeGreaterThan(1);
    expect(metrics.samples.at(-1)?.containers).toBeGreaterThanOrEqual(1);
    const log = JSON.parse((await env.ok(['notify', 'deliveries', '--json'])).stdout) as {
      channel: string;
      status: string;
      attempts: number;
    }[];
    expect(
      log
        .filter((d) => d.channel === 'hook' && d.status === 'delivered')
        .map((d) => d.attempts)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('the dashboard shows the webhook (secret on request), its deliveries, the health chart and the alerts', async () => {
    ensureWebBuilt();
    const shots = join(REPO_ROOT, 'test-artifacts', 'screenshots');
    mkdirSync(shots, { recursive: true });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(20_000);
      await page.addInitScript(`localStorage.setItem('infrakt.apiKey', ${JSON.stringify(apiKey)})`);
      await page.goto(`${url}/apps/${app}?tab=push`);
      await expect.poll(() => page.getByTestId('webhook-url').textContent()).toBe(`${url}${hookPath}`);
      // The secret is not on the page until asked for.
      expect(await page.content()).not.toContain(hookSecret);
      await page.getByRole('button', { name: 'Reveal secret' }).click();
      await expect.poll(() => page.getByTestId('webhook-secret').textContent()).toBe(hookSecret);
      await expect.poll(() => page.locator('tr[data-outcome="queued"]').count()).toBeGreaterThanOrEqual(3);
      await page.screenshot({ path: join(shots, 'push-deploy-webhook.png'), fullPage: true });
      await page.goto(`${url}/apps/${app}?tab=health`);
      await expect.poll(() => page.getByTestId('uptime').textContent()).toMatch(/^\d+(\.\d)?%$/);
      await page.goto(`${url}/alerts`);
      await expect.poll(() => page.locator('tr[data-channel="mail"]').count()).toBe(1);
      await expect.poll(() => page.locator(`tr[data-target="${app}"]`).textContent()).toContain('up');
      await page.screenshot({ path: join(shots, 'push-deploy-alerts.png'), fullPage: true });
      await page.goto(`${url}/servers/${env.server}`);
      await expect.poll(() => page.getByTestId('server-history').count()).toBe(1);
    } finally {
      await browser.close();
    }
  });

  it('polling deploys a commit pushed without any webhook', async () => {
    const set = JSON.parse(
      (await env.ok(['app', 'update', app, '--auto-deploy', 'poll', '--interval', '5', '--json'])).stdout,
    ) as { mode: string };
    expect(set.mode).toBe('poll');
    // The head of main (an earlier commit the webhook never announced) is picked up first, then a new one.
    const head = gitIn(repo, 'rev-parse', 'main');
    await until('the head deployed by polling', 120_000, async () => ((await currentSource(app)) === head ? 1 : null));
    const fresh = commit(repo, 'four');
    await until('the new commit deployed by polling', 120_000, async () =>
      (await currentSource(app)) === fresh ? 1 : null,
    );
    expect((await get(env.httpPort, `${app}.test`)).body).toBe('four\n');
    const view = await api<{ lastSeen: string; lastJobId: string }>(`/api/apps/${app}/auto-deploy`);
    expect(view.lastSeen).toBe(fresh);
  });

  it('polling an image tag deploys the digest a push to a (loopback) registry gave it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ikt-test-registry-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'config.yml'),
      `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    );
    const registry = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    const ref = `127.0.0.1:${port}/ikt-test-${rand()}:latest`;
    const imageApp = `ikt-test-${rand()}`;
    try {
      await until('the registry', 20_000, async () =>
        (await fetch(`http://127.0.0.1:${port}/v2/`)).status === 200 ? true : null,
      );
      docker('tag', 'infrakt-test/web:1', ref);
      docker('push', ref);
      // Pulls go to the loopback registry only (the image name says where).
      await env.ok(['server', 'set', env.server, '--pull-policy', 'missing']);
      await env.ok([
        ...['app', 'create', '--server', env.server, '--name', imageApp, '--image', ref],
        ...['--port', '3000', '--domain', `${imageApp}.test`, '--health-path', '/health'],
      ]);
      await env.ok(['app', 'deploy', imageApp]);
      expect((await get(env.httpPort, `${imageApp}.test`)).body).toContain('version=v1');
      await env.ok(['app', 'update', imageApp, '--auto-deploy', 'poll', '--interval', '5']);
      // A new image behind the tag in the registry; locally the tag stays on the old one, so only a pull
      // by the poller can bring it.
      docker('tag', 'infrakt-test/web:2', ref);
      docker('push', ref);
      docker('tag', 'infrakt-test/web:1', ref);
      await until('the new digest deployed by polling', 120_000, async () =>
        (await get(env.httpPort, `${imageApp}.test`)).body.includes('version=v2') ? true : null,
      );
      const view = await api<{ lastSeen: string; lastJobId: string | null }>(`/api/apps/${imageApp}/auto-deploy`);
      expect(view.lastSeen).toBe(docker('image', 'inspect', '--format', '{{.Id}}', 'infrakt-test/web:2'));
    } finally {
      await env.cli(['app', 'update', imageApp, '--auto-deploy', 'off']);
      await env.cli(['server', 'set', env.server, '--pull-policy', 'never']);
      registry.kill('SIGTERM');
      try {
        docker('rmi', ref);
      } catch {
        // never tagged
      }
      removeAppImages(imageApp);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a flood of signed deliveries to one webhook is rate-limited', async () => {
    const answers = [];
    for (let i = 0; i < 24; i++) answers.push((await deliver('ping', { zen: `ping ${i}` })).status);
    expect(answers.filter((s) => s === 429).length).toBeGreaterThanOrEqual(4);
    expect(answers.every((s) => s === 200 || s === 429)).toBe(true);
    expect(answers.filter((s) => s === 200).length).toBeLessThanOrEqual(20);
  });
});
