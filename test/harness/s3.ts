// A real S3-compatible server on loopback for tests: the `s3rver` npm package over HTTPS with a fresh self-signed
// certificate for 127.0.0.1 (restic's S3 client signs payloads in chunks over plain HTTP, which s3rver 3 does not
// decode; over HTTPS it sends whole signed bodies). Objects live in a temp dir. Each server gets a random key pair:
// s3rver refuses an unknown access key id, but does not check SigV4 signatures (its own limitation), so a wrong
// secret is not detected by it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface S3Server {
  /** `https://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** PEM file of the server's self-signed certificate (pass as --cacert). */
  readonly caCertPath: string;
  /** Where s3rver keeps the objects (`<dir>/<bucket>/<key>._S3rver_object`). */
  readonly dataDir: string;
  stop(): Promise<void>;
}

export async function startS3(bucket = 'backups'): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-s3-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    // biome-ignore format: one openssl invocation
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  const require = createRequire(import.meta.url);
  const S3rver = require('s3rver') as new (
    o: Record<string, unknown>,
  ) => { run(): Promise<{ port: number }>; close(): Promise<void> };
  const accessKeyId = `IKT${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64url');
  const account = require('s3rver/lib/models/account.js') as {
    DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
  };
  account.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  const dataDir = join(dir, 'data');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dataDir,
    key: readFileSync(key),
    cert: readFileSync(cert),
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return {
    endpoint: `https://127.0.0.1:${port}`,
    bucket,
    accessKeyId,
    secretAccessKey,
    caCertPath: cert,
    dataDir,
    async stop() {
      await server.close();
      account.DUMMY_ACCOUNT.revokeAccessKey(accessKeyId);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
