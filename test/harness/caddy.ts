// A private Caddy for tests: its own admin, HTTP and HTTPS ports on 127.0.0.1, storage (local CA,
// certificates) and autosave under the test's temp dir, never the user's trust store. Offline
// settings from notes/test-hosts.md: sites must be `http://...` or use `tls internal` (no ACME).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort } from './sshd.js';

export { freePort };

export const CADDY_BIN = process.env.INFRAKT_TEST_CADDY ?? 'caddy';

export interface CaddyOptions {
  /** A temp dir the test owns: Caddyfile, storage, logs and Caddy's HOME/XDG dirs go here. */
  dir: string;
  /** Caddyfile site blocks placed after the global options (may be empty). */
  sites?: string;
  startTimeoutMs?: number;
}

export interface CaddyInstance {
  readonly pid: number;
  /** `127.0.0.1:<port>`, for `caddy reload|stop --address` and the admin API. */
  readonly adminAddress: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly configPath: string;
  readonly storageDir: string;
  /** Root certificate of Caddy's local CA (exists once a `tls internal` site has been served). */
  readonly rootCertPath: string;
  readonly logPath: string;
  /** The whole Caddyfile (this instance's global options + sites). */
  caddyfile(sites: string): string;
  /** Writes the config file atomically and runs `caddy reload --config F --adapter caddyfile --address A`. */
  reload(sites: string): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Several free loopback ports, all different (the harness's `freePort` never hands one out twice). */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) ports.push(await freePort());
  return ports;
}

export interface CaddyGlobals {
  adminAddress: string;
  httpPort: number;
  httpsPort: number;
  storageDir: string;
}

/** Global options that keep Caddy offline, on loopback, and out of system state. */
export function caddyGlobalOptions(g: CaddyGlobals): string {
  return [
    '{',
    `\tadmin ${g.adminAddress}`,
    `\thttp_port ${g.httpPort}`,
    `\thttps_port ${g.httpsPort}`,
    '\tdefault_bind 127.0.0.1',
    '\tskip_install_trust',
    `\tstorage file_system ${g.storageDir}`,
    '}',
    '',
  ].join('\n');
}

/** True when the caddy binary runs; under CI=true a missing Caddy is an error, never a skip. */
export function caddyAvailable(): boolean {
  const ok = spawnSync(CADDY_BIN, ['version'], { stdio: 'ignore' }).status === 0;
  if (!ok && process.env.CI === 'true') {
    throw new Error(`${CADDY_BIN} does not run: install caddy (sudo bash scripts/test-setup.sh)`);
  }
  return ok;
}

/** Plain HTTP GET to 127.0.0.1 with a Host header, a fresh connection each time. */
export function httpGet(
  port: number,
  path: string,
  { host = 'localhost', timeoutMs = 5_000 } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', fail);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${host}${path} on :${port} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

function runCaddy(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(CADDY_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? 128, stdout, stderr }));
  });
}

/** Environment that keeps Caddy's HOME, autosave and data inside dir. */
export function caddyEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
  });
}

async function adminAnswers(adminAddress: string): Promise<boolean> {
  const [, port] = adminAddress.split(':');
  // /config/ is served under the config lock: it answers only once the loaded config is running.
  return httpGet(Number(port), '/config/', { host: adminAddress, timeoutMs: 2_000 }).then(
    (r) => r.status === 200,
    () => false,
  );
}

async function startOnce(opts: CaddyOptions): Promise<CaddyInstance | { portClash: string }> {
  const { dir } = opts;
  const [adminPort, httpPort, httpsPort] = (await distinctFreePorts(3)) as [number, number, number];
  const adminAddress = `127.0.0.1:${adminPort}`;
  const storageDir = join(dir, 'storage');
  const configPath = join(dir, 'Caddyfile');
  const logPath = join(dir, 'caddy.log');
  mkdirSync(storageDir, { recursive: true });
  const globals = caddyGlobalOptions({ adminAddress, httpPort, httpsPort, storageDir });
  const caddyfile = (sites: string) => `${globals}\n${sites}\n`;
  const writeConfig = (sites: string) => {
    writeFileSync(`${configPath}.tmp`, caddyfile(sites));
    renameSync(`${configPath}.tmp`, configPath);
  };
  writeConfig(opts.sites ?? '');

  const env = caddyEnv(dir);
  const log = openSync(logPath, 'a');
  const child = spawn(CADDY_BIN, ['run', '--config', configPath, '--adapter', 'caddyfile'], {
    env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${CADDY_BIN}`);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(pid, 'SIGTERM');
    const killer = setTimeout(() => child.exitCode === null && process.kill(pid, 'SIGKILL'), 10_000);
    await exited(child);
    clearTimeout(killer);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 15_000);
  while (!(await adminAnswers(adminAddress))) {
    const logText = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    if (child.exitCode !== null) {
      if (/address already in use/.test(logText)) return { portClash: logText.slice(-1000) };
      throw new Error(`caddy exited with ${child.exitCode} while starting:\n${logText.slice(-3000)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`caddy did not answer on ${adminAddress} in time:\n${logText.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    pid,
    adminAddress,
    httpPort,
    httpsPort,
    configPath,
    storageDir,
    rootCertPath: join(storageDir, 'pki', 'authorities', 'local', 'root.crt'),
    logPath,
    caddyfile,
    reload: (sites) => {
      writeConfig(sites);
      return runCaddy(['reload', '--config', configPath, '--adapter', 'caddyfile', '--address', adminAddress], env);
    },
    stop,
  };
}

/**
 * Starts `caddy run` on free loopback ports and waits until its config is live. Stop it with stop()
 * (SIGTERM to its pid). Retries with new ports if one was taken between choosing and binding it.
 */
export async function startCaddy(opts: CaddyOptions): Promise<CaddyInstance> {
  let lastClash = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await startOnce(opts);
    if (!('portClash' in r)) return r;
    lastClash = r.portClash;
  }
  throw new Error(`caddy could not bind free ports three times:\n${lastClash}`);
}
