// The browser harness survives other tests creating and removing network interfaces. While this file creates and
// removes Docker networks of its own (each a bridge with an address on the host, what Swarm labs and private
// dockerd bridges do too), Chromium loads a page on loopback again and again, and the page fetches from an HTTPS
// endpoint whose TLS handshake takes 250 ms. Chromium fails connections still being set up (the TCP connect, the
// TLS handshake, a proxy tunnel) when it sees the network change, and such a handshake is one most of the time. Chromium from launchChromium (own network namespace) must see every load
// and fetch succeed; a plain Chromium on the host's network under the same churn must see net::ERR_NETWORK_CHANGED,
// which proves the churn really reaches a browser (else the first test could not fail).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_FLAGS, ensureChromium, launchChromium, loopbackTarget } from '../harness/chromium.js';
import { dockerBin, run, shouldRunDockerTests } from '../harness/docker.js';
import { makeTls } from '../harness/git-https.js';

const page = (slow: string) => `<!doctype html><title>churn</title><body><script>
  window.fetchAll = async (n) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      try { const r = await fetch('${slow}/?i=' + i, { cache: 'no-store' }); out.push(r.status + ':' + (await r.text())); }
      catch (e) { out.push('error:' + e.message); }
    }
    return out;
  };
</script></body>`;

const runIt = await shouldRunDockerTests();

describe.skipIf(!runIt)('Chromium while network interfaces come and go', () => {
  let server: Server;
  let slowTls: TcpServer;
  let base = '';
  let tlsDir = '';
  const tag = randomBytes(3).toString('hex');
  const created = new Set<string>();

  beforeAll(async () => {
    ensureChromium();
    const tls = makeTls();
    tlsDir = tls.dir;
    const https = createHttpsServer({ key: tls.key, cert: tls.cert }, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Access-Control-Allow-Origin': '*', Connection: 'close' });
      res.end('ok');
    });
    // The TLS server gets each connection 250 ms after it was accepted: the handshake is that slow.
    slowTls = createTcpServer((sock) => setTimeout(() => https.emit('connection', sock), 250));
    await new Promise<void>((r) => slowTls.listen(0, '127.0.0.1', r));
    const slow = `https://127.0.0.1:${(slowTls.address() as AddressInfo).port}`;
    server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html', 'Cache-Control': 'no-store' }).end(page(slow));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const name of created) await run(dockerBin(), ['network', 'rm', name], { check: false });
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await new Promise((r) => slowTls?.close(r));
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  }, 120_000);

  /** Creates and removes this file's own networks until `stop()`; resolves with how many came and went. */
  const churn = () => {
    let stopped = false;
    let n = 0;
    const done = (async () => {
      while (!stopped) {
        const name = `ikt-test-churn-${tag}-${n}`;
        const c = await run(dockerBin(), ['network', 'create', '--label', 'infrakt.test=churn', name], {
          check: false,
        });
        if (c.code !== 0) throw new Error(`docker network create: ${c.stderr}`);
        created.add(name);
        await run(dockerBin(), ['network', 'rm', name]);
        created.delete(name);
        n++;
      }
      return n;
    })();
    return {
      count: () => n,
      stop: async () => {
        stopped = true;
        return done;
      },
    };
  };

  /** Loads the page and fetches through it until the deadline or a failure; every outcome is returned. */
  const browse = async (browser: Browser, until: () => boolean) => {
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    const outcomes: string[] = [];
    // A failed fetch says only "Failed to fetch" to the page; the browser knows the net:: error.
    page.on('requestfailed', (r) => outcomes.push(`error:${r.failure()?.errorText} ${r.url()}`));
    while (until()) {
      try {
        const res = await page.goto(`${base}/?t=${outcomes.length}`, { timeout: 20_000 });
        outcomes.push(`load:${res?.status()}`);
        outcomes.push(
          ...(await page.evaluate(
            (n) => (globalThis as unknown as { fetchAll: (n: number) => Promise<string[]> }).fetchAll(n),
            5,
          )),
        );
      } catch (e) {
        outcomes.push(`error:${(e as Error).message.split('\n')[0]}`);
      }
      if (outcomes.some((o) => o.startsWith('error:'))) break;
    }
    await page.context().close();
    return outcomes;
  };

  it('loads and fetches without a single error while this file creates and removes networks', async () => {
    const browser = await launchChromium();
    try {
      const churner = churn();
      // At least 25 s and 15 networks (a busy machine creates them slowly), at most 90 s.
      const start = Date.now();
      const outcomes = await browse(
        browser,
        () => Date.now() - start < 90_000 && (Date.now() - start < 25_000 || churner.count() < 15),
      );
      const networks = await churner.stop();
      console.info(`own namespace: ${outcomes.length} loads and fetches while ${networks} networks came and went`);
      const errors = outcomes.filter((o) => o.startsWith('error:'));
      expect(errors).toEqual([]);
      expect(outcomes.filter((o) => o === 'load:200').length).toBeGreaterThanOrEqual(3);
      expect(outcomes.filter((o) => o === '200:ok').length).toBeGreaterThanOrEqual(15);
      expect(networks).toBeGreaterThanOrEqual(15);
    } finally {
      await browser.close();
    }
  }, 180_000);

  it('a Chromium on the host network under the same churn does fail with ERR_NETWORK_CHANGED', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
    try {
      const churner = churn();
      const deadline = Date.now() + 60_000;
      const outcomes = await browse(browser, () => Date.now() < deadline);
      const networks = await churner.stop();
      console.info(`host network: failed after ${outcomes.length} loads and fetches, ${networks} networks`);
      expect(outcomes.filter((o) => o.startsWith('error:')).join('\n')).toMatch(/ERR_NETWORK_CHANGED|network changed/i);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('the namespace proxy reaches loopback only', async () => {
    expect(loopbackTarget('127.0.0.1')).toBe('127.0.0.1');
    expect(loopbackTarget('127.0.9.4')).toBe('127.0.9.4');
    expect(loopbackTarget('[::1]')).toBe('::1');
    expect(loopbackTarget('app.test')).toBe('127.0.0.1');
    expect(loopbackTarget('web.localhost')).toBe('127.0.0.1');
    for (const refused of ['10.0.0.1', '192.168.1.1', '172.17.0.1', 'example.com', '::2', '8.8.8.8'])
      expect(loopbackTarget(refused)).toBeUndefined();
    // And in the browser: a name outside loopback is a network error, not a page.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await expect(page.goto('http://outside.invalid/', { timeout: 15_000 })).rejects.toThrow(/net::ERR_/);
      const ok = await (await browser.newPage()).goto(`${base}/`);
      expect(ok?.status()).toBe(200);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
