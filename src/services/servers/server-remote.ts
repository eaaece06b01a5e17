import type { HostKeyPolicy } from '../../adapters/connect.js';
import { writeKnownHosts } from '../../adapters/ssh/known-hosts.js';
import type { ServerRow } from '../../adapters/store/schema.js';
import { exec } from '../../core/cmd/index.js';
import { parseServerStatus, statusCommand } from '../../core/commands/server-status.js';
import { InfraktError, isInfraktError, toInfraktError, validation } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import { fingerprintSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { ProxySettings, ServerAddInput } from '../../core/schemas/server.js';
import type {
  ProbeResult,
  ProbeStatus,
  ServerStatusReport,
  ServerView,
  TrustResult,
} from '../../core/schemas/views/servers.js';
import { edgeInfos, tunnelDown } from '../edge/tunnel-state.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { getServer, getServerRow, registerServer, updateServer } from './servers.js';

interface PresentedKey {
  readonly fingerprint: string;
  readonly line: string;
}

// The ssh executor exposes the verified host key; the local one has none.
const hostKeyOf = (ex: Executor): PresentedKey | null => (ex as Partial<{ hostKey: PresentedKey }>).hostKey ?? null;

// Probes and trust checks run one command (or none): no persistent shell.
function connectWith(ctx: Ctx, row: ServerRow, policy: HostKeyPolicy, signal?: AbortSignal): Promise<Executor> {
  return ctx.connect(row, { hostKeyPolicy: policy, singleCommand: true, signal });
}

const STATUS_OF: Partial<Record<string, ProbeStatus>> = {
  SSH_UNREACHABLE: 'unreachable',
  SSH_AUTH: 'auth_failed',
  HOST_KEY_MISMATCH: 'host_key_mismatch',
  // Connected, but the trivial command never came back: for the user the server is not usable.
  TIMEOUT: 'unreachable',
};

// Server row status for a probe result; provisioning/failed are kept on success (a probe doesn't provision).
function rowStatus(current: string, probe: ProbeStatus): string {
  if (probe !== 'ok') return probe;
  return current === 'provisioning' || current === 'failed' ? current : 'active';
}

/** Rewrites $INFRAKT_HOME/known_hosts from every pinned key, for `server ssh` (OpenSSH). */
export async function syncKnownHosts(ctx: Ctx): Promise<void> {
  // Devices behind a relay are not at this machine's 127.0.0.1:port (another device may be): leave them out.
  const rows = await ctx.store.db
    .selectFrom('servers')
    .leftJoin('edge_devices', 'edge_devices.server_id', 'servers.id')
    .select(['servers.host', 'servers.port', 'servers.host_key'])
    .where('edge_devices.relay_id', 'is', null)
    .execute();
  writeKnownHosts(
    ctx.paths.knownHosts,
    rows.flatMap((r) =>
      r.host_key && r.host !== 'local' ? [{ host: r.host, port: r.port, hostKey: r.host_key }] : [],
    ),
  );
}

/**
 * Connects to a server and runs one trivial command. With no pin yet the presented key is pinned
 * (trust on first use) unless `fingerprint` is given, then only that key is accepted. Records
 * status, last_checked_at and last_error on the row. Never throws for connection problems.
 */
export async function probeServer(ctx: Ctx, row: ServerRow, opts: { fingerprint?: string } = {}): Promise<ProbeResult> {
  const started = performance.now();
  const policy: HostKeyPolicy = opts.fingerprint && !row.host_key ? { fingerprint: opts.fingerprint } : 'tofu';
  let result: Omit<ProbeResult, 'durationMs' | 'server'>;
  let pin: PresentedKey | null = null;
  try {
    const ex = await connectWith(ctx, row, policy);
    try {
      const r = await ex.run(exec('uname', '-srm'), { timeoutMs: 30_000 });
      const key = hostKeyOf(ex);
      if (key && !row.host_key) pin = key;
      result = {
        status: 'ok',
        fingerprint: key?.fingerprint ?? null,
        pinned: pin !== null,
        system: r.exitCode === 0 ? r.stdout.trim() || null : null,
        error: null,
      };
    } finally {
      await ex.close();
    }
  } catch (e) {
    const err = toInfraktError(e);
    const status = STATUS_OF[err.code];
    if (!status) throw err;
    const presented = typeof err.details?.presentedFingerprint === 'string' ? err.details.presentedFingerprint : null;
    result = {
      status,
      fingerprint: presented,
      pinned: false,
      system: null,
      error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) },
    };
  }
  await updateServer(ctx, row.id, {
    status: rowStatus(row.status, result.status),
    last_checked_at: nowIso(ctx),
    last_error: result.error?.message ?? null,
    ...(pin ? { host_key: pin.line, host_key_fingerprint: pin.fingerprint } : {}),
  });
  if (pin) await syncKnownHosts(ctx);
  return { server: row.name, ...result, durationMs: Math.round(performance.now() - started) };
}

export interface AddServerResult {
  readonly server: ServerView;
  readonly probe: ProbeResult;
}

/** `server add`: register (validated first), then probe; the server stays registered either way. */
export async function addServer(
  ctx: Ctx,
  input: ServerAddInput & { proxy?: Partial<ProxySettings> },
): Promise<AddServerResult> {
  const row = await registerServer(ctx, input);
  const probe = await probeServer(ctx, row, row.host_key_fingerprint ? { fingerprint: row.host_key_fingerprint } : {});
  return { server: await getServer(ctx, row.name), probe };
}

/** `server test <name>`: re-checks the connection (pinning on first success when nothing is pinned). */
export async function testServer(ctx: Ctx, name: string): Promise<ProbeResult> {
  const row = await getServerRow(ctx, name);
  const probe = await probeServer(ctx, row, row.host_key_fingerprint ? { fingerprint: row.host_key_fingerprint } : {});
  await audit(ctx, 'server.test', name, { status: probe.status });
  return probe;
}

/**
 * `server trust <name>`: fetches the key the server presents now and re-pins it, after `confirm`
 * saw old and new (skipped when `fingerprint` is given: only that key is accepted). Authentication
 * may fail; the host key is known from the handshake either way.
 */
export async function trustServer(
  ctx: Ctx,
  name: string,
  opts: { fingerprint?: string; confirm?: (previous: string | null, current: string) => Promise<void> } = {},
): Promise<TrustResult> {
  const row = await getServerRow(ctx, name);
  if (row.host === 'local') throw validation(`server '${name}' is this machine (host local): there is no host key`);
  const fingerprint = opts.fingerprint ? parseInput(fingerprintSchema, opts.fingerprint, 'fingerprint') : undefined;
  const key = await presentedKey(ctx, row, fingerprint);
  const previous = row.host_key_fingerprint;
  if (key.fingerprint !== previous && !fingerprint) await opts.confirm?.(previous, key.fingerprint);
  await updateServer(ctx, row.id, { host_key: key.line, host_key_fingerprint: key.fingerprint });
  await syncKnownHosts(ctx);
  await audit(ctx, 'server.trust', name, { previous, current: key.fingerprint });
  return { server: name, previous, current: key.fingerprint, changed: previous !== key.fingerprint };
}

async function presentedKey(ctx: Ctx, row: ServerRow, fingerprint?: string): Promise<PresentedKey> {
  try {
    const ex = await connectWith(ctx, row, fingerprint ? { fingerprint } : 'any');
    const key = hostKeyOf(ex);
    await ex.close();
    if (key) return key;
  } catch (e) {
    if (!isInfraktError(e)) throw e;
    const line = e.details?.presentedKey;
    const fp = e.details?.presentedFingerprint;
    // A mismatch against --fingerprint must not be pinned; an auth failure still showed us the key.
    if (e.code === 'SSH_AUTH' && typeof line === 'string' && typeof fp === 'string') return { line, fingerprint: fp };
    throw e;
  }
  throw new InfraktError('STATE', `server '${row.name}' presented no host key`);
}

/** `server status <name>`: uptime, load, memory, disks and containers in one round trip. */
export async function serverStatus(ctx: Ctx, name: string): Promise<ServerStatusReport> {
  const row = await getServerRow(ctx, name);
  // An edge server: say "waiting" (and since when) instead of a bare connection error when its tunnel is down.
  const edge = (await edgeInfos(ctx, [row.id])).get(row.id);
  if (edge && edge.tunnel !== 'connected') throw tunnelDown(row.name, edge);
  const ex = await ctx.connect(row, { singleCommand: true });
  try {
    const r = await ex.run(statusCommand(row.root_dir), { timeoutMs: 30_000 });
    const report = parseServerStatus(row.name, ex.target, r.stdout);
    return edge ? { ...report, edge } : report;
  } finally {
    await ex.close();
  }
}

export interface FleetResult {
  readonly server: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error: { code: string; message: string; hint?: string } | null;
  readonly durationMs: number;
}

export interface FleetExecInput {
  readonly servers?: readonly string[];
  readonly all?: boolean;
  /** A shell command line, as given to `ssh host <command>`. */
  readonly command: string;
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onLine?: (server: string, stream: 'stdout' | 'stderr', line: string) => void;
}

/** `server exec`: one connection per server, bounded parallelism, a result per host (never throws per host). */
export async function fleetExec(ctx: Ctx, input: FleetExecInput): Promise<FleetResult[]> {
  if (!input.command.trim()) throw validation('no command given', 'usage: infrakt server exec --all -- <command>');
  const concurrency = input.concurrency ?? 32;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    throw validation('--concurrency must be between 1 and 1000');
  }
  const rows = await selectServers(ctx, input);
  const results: FleetResult[] = new Array(rows.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < rows.length; i = next++) {
      const row = rows[i] as ServerRow;
      results[i] = await execOne(ctx, row, input);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
  return results;
}

async function selectServers(ctx: Ctx, input: FleetExecInput): Promise<ServerRow[]> {
  if (input.all && input.servers?.length) throw validation('use either --server or --all, not both');
  if (input.all) {
    const rows = await ctx.store.db.selectFrom('servers').selectAll().orderBy('name').execute();
    if (rows.length === 0) throw validation('no servers registered', 'add one with: infrakt server add');
    return rows;
  }
  const names = [...new Set(input.servers ?? [])];
  if (names.length === 0) throw validation('no servers selected', 'pass --server a,b or --all');
  return Promise.all(names.map((n) => getServerRow(ctx, n)));
}

async function execOne(ctx: Ctx, row: ServerRow, input: FleetExecInput): Promise<FleetResult> {
  const started = performance.now();
  const done = (r: Omit<FleetResult, 'server' | 'durationMs'>): FleetResult => ({
    server: row.name,
    ...r,
    durationMs: Math.round(performance.now() - started),
  });
  try {
    const ex = await ctx.connect(row, { singleCommand: true, signal: input.signal });
    try {
      // The user's own command line, run by their login shell as `ssh host '<command>'` would (one
      // shell start-up on the server, no wrapper around it).
      const r = await ex.runLine(input.command, {
        timeoutMs: input.timeoutMs,
        signal: input.signal,
        ...(input.onLine ? { onLine: (s, l) => input.onLine?.(row.name, s, l) } : {}),
      });
      return done({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, error: null });
    } finally {
      await ex.close();
    }
  } catch (e) {
    const err = toInfraktError(e);
    const error = { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
    return done({ exitCode: null, stdout: '', stderr: '', error });
  }
}
