// A real ACME CA on loopback: Debian's `pebble` with a self-signed TLS certificate for 127.0.0.1, every
// challenge accepted (PEBBLE_VA_ALWAYS_VALID: the domains under test resolve nowhere) and no nonce
// rejections. Its issuing root comes from the management API, so a client can verify served chains.
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { makeTls, type TestTls } from './git-hosts.js';
import { freePort, waitFor } from './sshd.js';

export const PEBBLE_BIN = '/usr/bin/pebble';

export interface TestPebble {
  /** ACME directory URL. */
  readonly directory: string;
  /** The TLS certificate of the ACME endpoint (what `acme_ca_root` must trust). */
  readonly tls: TestTls;
  /** PEM of the root that signs issued certificates. */
  issuingRoot(): Promise<string>;
  stop(): Promise<void>;
}

const httpsText = (url: string, ca: string) =>
  new Promise<string>((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`))));
    }).on('error', reject);
  });

export async function startPebble(): Promise<TestPebble> {
  const tls = makeTls();
  const keyPath = join(tls.dir, 'key.pem');
  const [port, mgmt, http, tlsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = join(tls.dir, 'pebble.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: tls.certPath,
        privateKey: keyPath,
        httpPort: http,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const child: ChildProcess = spawn(PEBBLE_BIN, ['-config', config, '-dnsserver', '127.0.0.1:1'], {
    env: {
      PATH: process.env.PATH ?? '',
      PEBBLE_VA_ALWAYS_VALID: '1',
      PEBBLE_VA_NOSLEEP: '1',
      PEBBLE_WFE_NONCEREJECT: '0',
    },
    stdio: 'ignore',
  });
  await waitFor(
    `pebble on ${port}`,
    () =>
      new Promise<boolean>((resolve) => {
        if (child.exitCode !== null) return resolve(false);
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      }),
    20_000,
  );
  return {
    directory: `https://127.0.0.1:${port}/dir`,
    tls,
    issuingRoot: () => httpsText(`https://127.0.0.1:${mgmt}/roots/0`, tls.cert),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(tls.dir, { recursive: true, force: true });
    },
  };
}
