// A loopback fake of the Hetzner Cloud API (https://docs.hetzner.cloud) for tests: the endpoints infrakt uses,
// with the documented request/response shapes, error object { error: { code, message, details } },
// RateLimit-* headers on every response, 429 rate_limit_exceeded on demand, meta.pagination, and actions that
// run asynchronously. Creating a server boots a real "machine" that takes its host key from the cloud-init user
// data, as cloud-init would: a harness sshd on a loopback address of its own (port 22), or the systemd test VPS.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type SshdHost, startSshd } from './sshd.js';
import { docker, startVps, type Vps } from './vps/start-vps.js';

export type Backend = 'sshd' | 'vps';

export interface FakeMachine {
  readonly ip: string;
  /** The host public key the machine serves (`<type> <base64>`). */
  readonly hostKey: string;
  /** sshd backend: the harness instance (its `root` is a temp dir for `--root`). */
  readonly sshd?: SshdHost;
  readonly vps?: Vps;
  stop(): Promise<void>;
}

interface FakeServer {
  id: number;
  name: string;
  status: 'initializing' | 'starting' | 'running' | 'deleting';
  server_type: string;
  location: string;
  image: string;
  labels: Record<string, string>;
  ssh_keys: number[];
  ip: string | null;
  created: string;
  machine: FakeMachine | null;
}

interface FakeAction {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started: string;
  finished: string | null;
  resources: { id: number; type: string }[];
  error: { code: string; message: string } | null;
}

interface FakeSshKey {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
  labels: Record<string, string>;
  created: string;
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The Authorization header was the configured token. */
  readonly authorized: boolean;
}

export interface FakeHetznerOptions {
  readonly token: string;
  readonly backend?: Backend;
  /** Serve a different host key than the user data asked for (cloud-init failure, or someone in the middle). */
  readonly wrongHostKey?: boolean;
  /** Extra delay before a create action succeeds (ms). */
  readonly bootDelayMs?: number;
}

const SERVER_TYPES = new Set(['cx22', 'cx32', 'cx42', 'cpx11', 'cpx21', 'cax11']);
const LOCATIONS = new Set(['nbg1', 'fsn1', 'hel1', 'ash', 'hil', 'sin']);
const IMAGES = new Set(['debian-12', 'debian-13', 'ubuntu-22.04', 'ubuntu-24.04']);
const NAME_RE = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,61}[a-zA-Z0-9])?$/;

export class FakeHetzner {
  readonly requests: RequestRecord[] = [];
  readonly servers = new Map<number, FakeServer>();
  readonly actions = new Map<number, FakeAction>();
  readonly sshKeys = new Map<number, FakeSshKey>();
  /** Bodies of POST /servers as received (user_data included: the test may check it carries only a host key). */
  readonly createBodies: Record<string, unknown>[] = [];
  private nextId = 1000;
  private limited = 0;
  private failCreateAnswer = 0;
  private http: Server | null = null;
  private readonly pending = new Set<Promise<unknown>>();
  url = '';

  constructor(readonly opts: FakeHetznerOptions) {}

  /** The next `n` requests are answered 429 rate_limit_exceeded (RateLimit-Remaining 0). */
  rateLimitNext(n: number): void {
    this.limited = n;
  }

  /** The next POST /servers creates the server but answers 503 (a lost answer: the client must not create twice). */
  loseNextCreateAnswer(): void {
    this.failCreateAnswer = 1;
  }

  async start(): Promise<string> {
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((e) => this.send(res, 500, { error: { code: 'server_error', message: String(e) } }));
    });
    await new Promise<void>((r) => this.http!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}/v1`;
    return this.url;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await Promise.all([...this.servers.values()].map((s) => s.machine?.stop()));
    await new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r()));
  }

  private id(): number {
    return this.nextId++;
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, code: string, message: string, details: unknown = {}): void {
    this.send(res, status, { error: { code, message, details } });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const authorized = req.headers.authorization === `Bearer ${this.opts.token}`;
    const record = (status: number) =>
      this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, status, authorized });
    const reset = String(Math.floor(Date.now() / 1000) + 1);
    const rl = {
      'RateLimit-Limit': '3600',
      'RateLimit-Remaining': this.limited > 0 ? '0' : '3599',
      'RateLimit-Reset': reset,
    };
    const origSend = this.send.bind(this);
    this.send = (r, status, body, headers = {}) => {
      record(status);
      origSend(r, status, body, { ...rl, ...headers });
    };
    try {
      if (!authorized) return this.error(res, 401, 'unauthorized', 'unable to authenticate');
      if (this.limited > 0) {
        this.limited--;
        return this.error(res, 429, 'rate_limit_exceeded', 'limit of 3600 requests per hour reached');
      }
      const body = req.method === 'POST' ? await readJson(req) : null;
      if (body === undefined) return this.error(res, 400, 'json_error', 'request body is not valid JSON');
      const parts = url.pathname.replace(/^\/v1/, '').split('/').filter(Boolean);
      const [col, idText] = parts;
      const id = idText ? Number(idText) : null;
      if (col === 'servers' && !idText && req.method === 'GET')
        return this.list(
          res,
          url,
          [...this.servers.values()].filter((s) => s.status !== 'deleting' || true).map(serverJson),
          'servers',
          (s) => matches(s, url),
        );
      if (col === 'servers' && !idText && req.method === 'POST')
        return this.createServer(res, body as Record<string, unknown>);
      if (col === 'servers' && id !== null && req.method === 'GET') {
        const s = this.servers.get(id);
        return s
          ? this.send(res, 200, { server: serverJson(s) })
          : this.error(res, 404, 'not_found', 'server not found');
      }
      if (col === 'servers' && id !== null && req.method === 'DELETE') return this.deleteServer(res, id);
      if (col === 'actions' && id !== null && req.method === 'GET') {
        const a = this.actions.get(id);
        return a ? this.send(res, 200, { action: a }) : this.error(res, 404, 'not_found', 'action not found');
      }
      if (col === 'ssh_keys' && !idText && req.method === 'GET')
        return this.list(res, url, [...this.sshKeys.values()], 'ssh_keys', (k) => {
          const fp = url.searchParams.get('fingerprint');
          const name = url.searchParams.get('name');
          return (!fp || k.fingerprint === fp) && (!name || k.name === name);
        });
      if (col === 'ssh_keys' && !idText && req.method === 'POST')
        return this.createSshKey(res, body as Record<string, unknown>);
      return this.error(res, 404, 'not_found', `no route ${req.method} ${url.pathname}`);
    } finally {
      this.send = origSend;
    }
  }

  private list<T>(res: ServerResponse, url: URL, all: T[], key: string, filter: (x: T) => boolean): void {
    const items = all.filter(filter);
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 25) || 25, 50);
    const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    this.send(res, 200, {
      [key]: items.slice((page - 1) * perPage, page * perPage),
      meta: {
        pagination: {
          page,
          per_page: perPage,
          previous_page: page > 1 ? page - 1 : null,
          next_page: page < last ? page + 1 : null,
          last_page: last,
          total_entries: items.length,
        },
      },
    });
  }

  private createSshKey(res: ServerResponse, b: Record<string, unknown>) {
    const name = b.name;
    const pub = b.public_key;
    if (typeof name !== 'string' || !name || typeof pub !== 'string' || !/^ssh-[a-z0-9-]+ [A-Za-z0-9+/=]+/.test(pub))
      return this.error(res, 400, 'invalid_input', 'invalid input in fields name, public_key', {
        fields: [{ name: 'public_key', messages: ['invalid'] }],
      });
    const fingerprint = md5(pub);
    for (const k of this.sshKeys.values()) {
      if (k.name === name || k.fingerprint === fingerprint)
        return this.error(res, 409, 'uniqueness_error', 'SSH key with the same fingerprint or name already exists');
    }
    const key: FakeSshKey = {
      id: this.id(),
      name,
      fingerprint,
      public_key: pub.trim(),
      labels: (b.labels as Record<string, string>) ?? {},
      created: new Date().toISOString(),
    };
    this.sshKeys.set(key.id, key);
    this.send(res, 201, { ssh_key: key });
  }

  private createServer(res: ServerResponse, b: Record<string, unknown>) {
    this.createBodies.push(b);
    const invalid = (field: string, msg: string) =>
      this.error(res, 400, 'invalid_input', `invalid input in field '${field}'`, {
        fields: [{ name: field, messages: [msg] }],
      });
    if (typeof b.name !== 'string' || !NAME_RE.test(b.name)) return invalid('name', 'must be a valid hostname');
    if (typeof b.server_type !== 'string' || !SERVER_TYPES.has(b.server_type))
      return invalid('server_type', 'server type not found');
    if (typeof b.location !== 'string' || !LOCATIONS.has(b.location)) return invalid('location', 'location not found');
    if (typeof b.image !== 'string' || !IMAGES.has(b.image)) return invalid('image', 'image not found');
    const keys = Array.isArray(b.ssh_keys) ? (b.ssh_keys as number[]) : [];
    if (keys.some((k) => !this.sshKeys.has(k))) return invalid('ssh_keys', 'ssh key not found');
    if (typeof b.user_data !== 'string' || b.user_data.length > 32 * 1024)
      return invalid('user_data', 'user_data too long');
    for (const s of this.servers.values())
      if (s.name === b.name) return this.error(res, 409, 'uniqueness_error', 'server name is already used');
    const server: FakeServer = {
      id: this.id(),
      name: b.name,
      status: 'initializing',
      server_type: b.server_type,
      location: b.location,
      image: b.image,
      labels: (b.labels as Record<string, string>) ?? {},
      ssh_keys: keys,
      ip: null,
      created: new Date().toISOString(),
      machine: null,
    };
    this.servers.set(server.id, server);
    const action = this.action('create_server', server.id);
    const userData = b.user_data;
    const boot = this.boot(server, userData, action).catch((e) => {
      action.status = 'error';
      action.error = { code: 'action_failed', message: `boot failed: ${(e as Error).message}` };
      action.finished = new Date().toISOString();
    });
    this.pending.add(boot);
    void boot.finally(() => this.pending.delete(boot));
    if (this.failCreateAnswer > 0) {
      this.failCreateAnswer--;
      return this.error(res, 503, 'unavailable', 'service temporarily unavailable');
    }
    this.send(res, 201, { server: serverJson(server), action, next_actions: [], root_password: null });
  }

  private action(command: string, serverId: number): FakeAction {
    const a: FakeAction = {
      id: this.id(),
      command,
      status: 'running',
      progress: 0,
      started: new Date().toISOString(),
      finished: null,
      resources: [{ id: serverId, type: 'server' }],
      error: null,
    };
    this.actions.set(a.id, a);
    return a;
  }

  /** What cloud-init would do: install the user data's host key and the project's SSH keys, then start sshd. */
  private async boot(server: FakeServer, userData: string, action: FakeAction): Promise<void> {
    const doc = parseYaml(userData.replace(/^#cloud-config\n/, '')) as {
      ssh_keys?: { ed25519_private?: string };
    } | null;
    const hostKeyPrivate = this.opts.wrongHostKey ? undefined : doc?.ssh_keys?.ed25519_private;
    const authorized = server.ssh_keys.map((k) => this.sshKeys.get(k)!.public_key).join('\n');
    action.progress = 50;
    server.status = 'starting';
    server.machine =
      this.opts.backend === 'vps'
        ? await bootVps(hostKeyPrivate, authorized)
        : await bootSshd(hostKeyPrivate, authorized);
    if (this.opts.bootDelayMs) await new Promise((r) => setTimeout(r, this.opts.bootDelayMs));
    server.ip = server.machine.ip;
    server.status = 'running';
    action.status = 'success';
    action.progress = 100;
    action.finished = new Date().toISOString();
  }

  private deleteServer(res: ServerResponse, id: number) {
    const s = this.servers.get(id);
    if (!s) return this.error(res, 404, 'not_found', 'server not found');
    s.status = 'deleting';
    const action = this.action('delete_server', id);
    const done = (async () => {
      await s.machine?.stop();
      this.servers.delete(id);
      action.status = 'success';
      action.progress = 100;
      action.finished = new Date().toISOString();
    })();
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
    this.send(res, 200, { action });
  }
}

function matches(s: ReturnType<typeof serverJson>, url: URL): boolean {
  const name = url.searchParams.get('name');
  if (name && s.name !== name) return false;
  const sel = url.searchParams.get('label_selector');
  if (sel) {
    for (const term of sel.split(',')) {
      const [k, v] = term.split('=');
      if (!k || s.labels[k] !== v) return false;
    }
  }
  return true;
}

function serverJson(s: FakeServer) {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    created: s.created,
    public_net: {
      ipv4: s.ip ? { id: s.id + 1, ip: s.ip, blocked: false, dns_ptr: `static.${s.ip}.clients.example` } : null,
      ipv6: null,
      floating_ips: [],
      firewalls: [],
    },
    server_type: { name: s.server_type, cores: 2, memory: 4, disk: 40 },
    datacenter: { name: `${s.location}-dc3`, location: { name: s.location } },
    image: { name: s.image, type: 'system' },
    labels: s.labels,
    protection: { delete: false, rebuild: false },
  };
}

function md5(pub: string): string {
  const b64 = pub.trim().split(/\s+/)[1] ?? '';
  return createHash('md5').update(Buffer.from(b64, 'base64')).digest('hex').match(/../g)!.join(':');
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (d) => {
      data += d;
    });
    req.on('end', () => {
      try {
        resolve(data ? JSON.parse(data) : {});
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** A loopback address of its own per machine (127.A.B.C, never 127.0.0.x): sshd listens there on port 22. */
function loopbackAddress(): string {
  const b = randomBytes(3);
  return `127.${(b[0]! % 250) + 1}.${b[1]! % 255}.${(b[2]! % 250) + 2}`;
}

async function bootSshd(hostKeyPrivate: string | undefined, authorized: string): Promise<FakeMachine> {
  for (let attempt = 0; ; attempt++) {
    try {
      const sshd = await startSshd({
        listenAddress: loopbackAddress(),
        port: 22,
        ...(hostKeyPrivate ? { hostKeyPrivate } : {}),
        authorizedKeys: `${authorized}\n`,
      });
      return { ip: sshd.host, hostKey: sshd.hostKey, sshd, stop: () => sshd.stop() };
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

async function bootVps(hostKeyPrivate: string | undefined, authorized: string): Promise<FakeMachine> {
  const vps = await startVps({
    publicKey: authorized,
    ...(hostKeyPrivate ? { beforeBoot: (name: string) => installHostKey(name, hostKeyPrivate) } : {}),
  });
  const pub = (await vps.sh('cat /etc/ssh/ssh_host_ed25519_key.pub')).stdout.trim().split(/\s+/).slice(0, 2).join(' ');
  return { ip: vps.ip, hostKey: pub, vps, stop: () => vps.stop() };
}

/** `docker cp` the host key into the created (not yet started) container: in place before sshd first runs. */
async function installHostKey(container: string, privateKey: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-hostkey-'));
  try {
    const key = join(dir, 'ssh_host_ed25519_key');
    writeFileSync(key, privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`, { mode: 0o600 });
    writeFileSync(`${key}.pub`, `${execFileSync('ssh-keygen', ['-y', '-f', key], { encoding: 'utf8' }).trim()}\n`, {
      mode: 0o644,
    });
    for (const f of ['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub']) {
      const r = await docker(['cp', join(dir, f), `${container}:/etc/ssh/${f}`]);
      if (r.code !== 0) throw new Error(`docker cp ${f}: ${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
