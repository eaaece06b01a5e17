import type { HostKeyPolicy } from '../../adapters/connect.js';
import type { ServerRow } from '../../adapters/store/schema.js';
import { and, exec } from '../../core/cmd/index.js';
import { InfraktError } from '../../core/errors.js';
import { runChecked } from '../../core/executor.js';
import {
  fingerprintSchema,
  hostSchema,
  portSchema,
  remoteRootSchema,
  sshUserSchema,
} from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { ServerView } from '../../core/schemas/views/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { syncKnownHosts } from './server-remote.js';
import { countApps, getServer, getServerRow, updateServer } from './servers.js';

export interface ServerUpdateInput {
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
  /** A key file path; `null` goes back to the ssh-agent. */
  keyPath?: string | null | undefined;
  root?: string | undefined;
  /** The host key expected at the new address (a different machine, or a reinstalled one). */
  fingerprint?: string | undefined;
}

export interface ServerUpdateResult {
  server: ServerView;
  changed: string[];
  /** The host key the connection verified. */
  fingerprint: string | null;
}

/**
 * `server update N [--host H] [--port P] [--user U] [--key PATH] [--root DIR]`: connects with the new settings
 * first, verifying the pinned host key (or the `--fingerprint` given for a new machine), and saves them only
 * once that worked — a wrong address, user, key or host key changes nothing. The root moves only for a
 * server without apps (theirs live under the old one).
 */
export async function updateServerSettings(
  ctx: Ctx,
  name: string,
  input: ServerUpdateInput,
): Promise<ServerUpdateResult> {
  const row = await getServerRow(ctx, name);
  const next: Partial<ServerRow> = {};
  if (input.host !== undefined) next.host = parseInput(hostSchema, input.host, 'host');
  if (input.port !== undefined) next.port = parseInput(portSchema, input.port, 'port');
  if (input.user !== undefined) next.user = parseInput(sshUserSchema, input.user, 'user');
  if (input.keyPath !== undefined) {
    if (input.keyPath !== null && (input.keyPath.length === 0 || input.keyPath.length > 4096))
      throw new InfraktError('VALIDATION', 'invalid key: give the path of a private key file');
    next.key_path = input.keyPath;
  }
  if (input.root !== undefined) next.root_dir = parseInput(remoteRootSchema, input.root, 'root');
  const fingerprint = input.fingerprint ? parseInput(fingerprintSchema, input.fingerprint, 'fingerprint') : undefined;
  // Only the connection fields set above are compared (the row also has optional columns such as facts_json).
  const changed = Object.keys(next).filter(
    (k) => (next as Record<string, unknown>)[k] !== (row as Record<string, unknown>)[k],
  ) as string[];
  if (changed.length === 0 && !fingerprint) {
    throw new InfraktError('VALIDATION', 'nothing to update', { hint: 'pass --host, --port, --user, --key or --root' });
  }
  // An edge server's host and port are the loopback end of its reverse tunnel, which infrakt assigns.
  if (changed.includes('host') || changed.includes('port')) {
    const edge = await ctx.store.db
      .selectFrom('edge_devices')
      .select('server_id')
      .where('server_id', '=', row.id)
      .executeTakeFirst();
    if (edge) {
      throw new InfraktError('VALIDATION', `'${name}' is an edge server: its address is the end of its tunnel`, {
        hint: 'an edge server dials out; its host and port are not set by hand (user, key and root may change)',
      });
    }
  }
  if (changed.includes('root_dir') && (await countApps(ctx, row.id)) > 0) {
    throw new InfraktError('CONFLICT', `server '${name}' has apps under ${row.root_dir}: its root cannot move`, {
      hint: 'destroy or forget its apps first, or keep the root',
    });
  }
  const candidate: ServerRow = { ...row, ...next };
  const policy: HostKeyPolicy = fingerprint ? { fingerprint } : 'pinned';
  const ex = await ctx.connect(candidate, { hostKeyPolicy: policy }).catch((e: unknown) => {
    if (!(e instanceof InfraktError) || e.code !== 'HOST_KEY_MISMATCH' || fingerprint) throw e;
    throw new InfraktError(e.code, `${e.message}; nothing was changed`, {
      details: e.details,
      hint: `if ${candidate.host} is another machine (or was reinstalled), verify its key there (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and pass it: --fingerprint SHA256:…`,
    });
  });
  let presented: { line: string; fingerprint: string } | null;
  try {
    await runChecked(ex, exec('uname', '-srm'), { what: 'connection check', timeoutMs: 30_000 });
    if (changed.includes('root_dir')) {
      await runChecked(ex, and(exec('mkdir', '-p', candidate.root_dir), exec('test', '-w', candidate.root_dir)), {
        what: `use ${candidate.root_dir} as the root`,
      });
    }
    presented = (ex as Partial<{ hostKey: { line: string; fingerprint: string } }>).hostKey ?? null;
  } finally {
    await ex.close();
  }
  await updateServer(ctx, row.id, {
    ...next,
    status: row.status === 'provisioning' || row.status === 'failed' ? row.status : 'active',
    last_checked_at: nowIso(ctx),
    last_error: null,
    ...(fingerprint && presented ? { host_key: presented.line, host_key_fingerprint: presented.fingerprint } : {}),
  });
  await syncKnownHosts(ctx);
  const names: string[] = changed.map((k) => (k === 'root_dir' ? 'root' : k === 'key_path' ? 'key' : k));
  await audit(ctx, 'server.update', name, { changed: names, repinned: Boolean(fingerprint) });
  return {
    server: await getServer(ctx, name),
    changed: [...names, ...(fingerprint ? ['host key'] : [])],
    fingerprint: presented?.fingerprint ?? null,
  };
}
