import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { HetznerApi } from '../../adapters/providers/hetzner/api.js';
import { HetznerApiError } from '../../adapters/providers/hetzner/client.js';
import { InfraktError } from '../../core/errors.js';
import type { JobContext, StepHandle } from '../../core/jobs.js';
import { md5Fingerprint } from '../../core/providers/ssh-key.js';
import { probeServer } from '../servers/server-remote.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

export const MANAGED_BY = { 'managed-by': 'infrakt' } as const;

export async function recordExternalId(ctx: Ctx, name: string, id: number) {
  await ctx.store.db
    .updateTable('provider_servers')
    .set({ external_id: String(id), updated_at: nowIso(ctx) })
    .where('name', '=', name)
    .execute();
}

export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new InfraktError('CANCELLED', 'cancelled'));
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new InfraktError('CANCELLED', 'cancelled'));
      },
      { once: true },
    );
  });

/** The user's key at the provider: found by fingerprint (reused), else uploaded with managed-by=infrakt. */
export async function ensureSshKey(
  api: HetznerApi,
  publicKey: string,
): Promise<{ id: number; name: string; reused: boolean }> {
  const fingerprint = md5Fingerprint(publicKey);
  const found = (await api.listSshKeys({ fingerprint }))[0];
  if (found) return { id: found.id, name: found.name, reused: true };
  const name = `infrakt-${fingerprint.replace(/:/g, '').slice(0, 12)}`;
  try {
    const k = await api.createSshKey({ name, public_key: publicKey, labels: { ...MANAGED_BY } });
    return { id: k.id, name: k.name, reused: false };
  } catch (e) {
    // Uploaded meanwhile (a parallel create): take that one.
    if (e instanceof HetznerApiError && e.apiCode === 'uniqueness_error') {
      const again = (await api.listSshKeys({ fingerprint }))[0] ?? (await api.listSshKeys({ name }))[0];
      if (again) return { id: again.id, name: again.name, reused: true };
    }
    throw e;
  }
}

/** Server types, locations and images: short lowercase slugs (checked before any API call). */
export const SLUG = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** The user's private key and its public half (`.pub` next to it), default ~/.ssh/id_ed25519. */
export function resolveKey(keyPath: string | null | undefined): { keyPath: string; publicKey: string } {
  const path = keyPath ?? join(homedir(), '.ssh', 'id_ed25519');
  if (!keyPath && !existsSync(path))
    throw new InfraktError('VALIDATION', 'no SSH key given and ~/.ssh/id_ed25519 does not exist', {
      hint: 'pass --key <private key file> (its .pub is uploaded)',
    });
  const pub = `${path}.pub`;
  if (!existsSync(pub))
    throw new InfraktError('VALIDATION', `no public key next to ${path} (${pub})`, {
      hint: `create it with: ssh-keygen -y -f ${path} > ${pub}`,
    });
  const publicKey = readFileSync(pub, 'utf8').trim();
  if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( .*)?$/.test(publicKey))
    throw new InfraktError('VALIDATION', `${pub} is not an OpenSSH public key`);
  return { keyPath: path, publicKey };
}

/** Probes until SSH answers with the pinned key; a different key is refused at once (never retried). */
export async function waitForSsh(
  ctx: Ctx,
  job: JobContext,
  s: StepHandle,
  name: string,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const row = await ctx.store.db.selectFrom('servers').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
    const probe = await probeServer(ctx, row);
    if (probe.status === 'ok') {
      s.detail(`connected after ${attempt} attempt(s): ${probe.system ?? ''}`);
      return probe.fingerprint ?? '';
    }
    if (probe.status === 'host_key_mismatch') {
      throw new InfraktError(
        'HOST_KEY_MISMATCH',
        `${name} presented host key ${probe.fingerprint}, not the key infrakt injected: refused`,
        {
          hint: `nothing was sent to it. Someone is in the middle, or cloud-init did not install the key. Destroy it with: infrakt server destroy ${name}`,
        },
      );
    }
    if (probe.status === 'auth_failed' || Date.now() > deadline) {
      throw new InfraktError(
        probe.status === 'auth_failed' ? 'SSH_AUTH' : 'TIMEOUT',
        `${name}: ${probe.error?.message ?? probe.status}`,
        { hint: probe.error?.hint },
      );
    }
    s.log(`not reachable yet (${probe.error?.code ?? probe.status}); retrying`);
    await sleep(2000, job.signal);
  }
}
