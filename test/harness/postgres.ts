import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real PostgreSQL server (Debian's `postgresql` package) for the tests, on 127.0.0.1 and a free port, in a temp
 * directory: its own cluster (initdb), a password (scram-sha-256), no Unix socket, fsync off (tests only). As root it
 * runs as the `postgres` user (PostgreSQL refuses to run as root). Stop it with `stop()`.
 */
export interface PostgresServer {
  /** `postgres://infrakt:<password>@127.0.0.1:<port>/infrakt` */
  readonly url: string;
  readonly port: number;
  stop(): void;
}

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) {
    throw new Error('PostgreSQL is not installed (Debian package postgresql): run scripts/test-setup.sh as root');
  }
  return join(base, versions[0], 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  const root = mkdtempSync(join(tmpdir(), 'ikt-test-pg-'));
  const data = join(root, 'data');
  const password = randomBytes(12).toString('hex');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? Number(execFileSync('id', ['-u', 'postgres']).toString().trim()) : null;
  const group = asRoot ? Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) : null;
  mkdirSync(data, { mode: 0o700 });
  writeFileSync(join(root, 'pw'), `${password}\n`, { mode: 0o600 });
  if (asRoot) {
    chmodSync(root, 0o755);
    chownSync(data, user!, group!);
    chownSync(join(root, 'pw'), user!, group!);
  }
  const run = (cmd: string, args: string[]) => {
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args;
    const r = spawnSync(asRoot ? 'runuser' : join(bin, cmd), argv, { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  run('initdb', [
    '-D',
    data,
    '-U',
    'infrakt',
    `--pwfile=${join(root, 'pw')}`,
    '--auth=scram-sha-256',
    '--locale=C',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    try {
      run('pg_ctl', ['-D', data, '-o', opts, '-w', '-t', '60', '-l', join(data, 'server.log'), 'start']);
      break;
    } catch (e) {
      // The port may have been taken between the probe and the start: try another.
      if (attempt >= 3) throw e;
    }
  }
  const base = `postgres://infrakt:${password}@127.0.0.1:${port}`;
  return {
    url: `${base}/postgres`,
    port,
    stop() {
      spawnSync(asRoot ? 'runuser' : join(bin, 'pg_ctl'), [
        ...(asRoot ? ['-u', 'postgres', '--', join(bin, 'pg_ctl')] : []),
        '-D',
        data,
        '-m',
        'immediate',
        'stop',
      ]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A new empty database on the server (each test its own); `drop()` removes it, connections and all. */
export async function freshDatabase(serverUrl: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const pg = (await import('pg')).default;
  const name = `ikt_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
