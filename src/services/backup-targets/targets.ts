import { createHash, randomBytes } from 'node:crypto';
import type { BackupTargetRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import {
  accessKeyIdSchema,
  describeLocation,
  parseS3Spec,
  parseSftpSpec,
  regionSchema,
  type TargetLocation,
} from '../../core/schemas/backup-target.js';
import { fingerprintSchema, nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { BackupTargetView, TargetAdded, TargetCheck } from '../../core/schemas/views/backups.js';
import { Secret } from '../../core/secret.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

/** What a target needs that must never be shown: sealed together in `backup_targets.secrets_enc`. */
export interface TargetSecrets {
  repoPassword: Secret;
  secretAccessKey: Secret | null;
  sshKey: Secret | null;
}

/** A target with its location and (on demand) its secrets. */
export interface ResolvedTarget {
  row: BackupTargetRow;
  name: string;
  location: TargetLocation;
  secrets(): TargetSecrets;
}

const purpose = (name: string) => `backup-target:${name}`;

/** SHA256 fingerprint of a `<type> <base64>` key line, as ssh-keygen -lf prints it. */
export function keyFingerprint(line: string): string {
  const b64 = line.trim().split(/\s+/)[1] ?? '';
  return `SHA256:${createHash('sha256').update(Buffer.from(b64, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

export function toTargetView(row: BackupTargetRow): BackupTargetView {
  const l = JSON.parse(row.location_json) as TargetLocation;
  const lastCheck = JSON.parse(row.last_check_json ?? 'null') as TargetCheck | null;
  return {
    name: row.name,
    kind: row.kind,
    location: describeLocation(l),
    hostKeyFingerprint: l.kind === 'sftp' && l.hostKeys[0] ? keyFingerprint(l.hostKeys[0]) : null,
    accessKeyId: l.kind === 's3' ? l.accessKeyId : null,
    hasKey: l.kind === 'sftp' && l.hasKey,
    lastCheck,
    createdAt: row.created_at,
  };
}

export interface AddTargetInput {
  name: string;
  /** `user@host[:port]:/path` */
  sftp?: string;
  /** Content of the SFTP private key (unencrypted OpenSSH/PEM); without it the server's own identity is used. */
  sshKey?: Secret;
  /** Fingerprint the SFTP host key must have (checked on first contact). */
  fingerprint?: string;
  /** `https://endpoint/bucket/prefix` */
  s3?: string;
  accessKeyId?: string;
  secretAccessKey?: Secret;
  region?: string;
  /** PEM of a CA certificate for the S3 endpoint. */
  caCert?: string;
  /** Allow `http://` S3 endpoints (a local MinIO on a private network). */
  allowHttp?: boolean;
  /** Adopt an existing repository: its password (else a new one is generated). */
  repoPassword?: Secret;
}

export type { BackupTargetView, TargetCheck };
export type AddTargetResult = TargetAdded;

function buildLocation(i: AddTargetInput): { location: TargetLocation; secrets: Omit<TargetSecrets, 'repoPassword'> } {
  if (Boolean(i.sftp) === Boolean(i.s3))
    throw new InfraktError('VALIDATION', 'give exactly one of --sftp user@host:/path and --s3 https://endpoint/bucket');
  if (i.sftp) {
    if (i.accessKeyId || i.secretAccessKey || i.region || i.caCert)
      throw new InfraktError('VALIDATION', '--access-key-id, --region and --cacert are for --s3 targets');
    const fingerprint = i.fingerprint ? parseInput(fingerprintSchema, i.fingerprint, 'fingerprint') : null;
    const key = i.sshKey?.reveal();
    if (key !== undefined && !/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.trim()))
      throw new InfraktError('VALIDATION', '--key must be a private key file (OpenSSH or PEM format)');
    if (key !== undefined && /ENCRYPTED|Proc-Type: 4,ENCRYPTED/.test(key))
      throw new InfraktError(
        'VALIDATION',
        '--key must not be passphrase-protected (it runs unattended on the server)',
        {
          hint: 'make a dedicated key for backups: ssh-keygen -t ed25519 -N "" -f backup_key',
        },
      );
    const location = {
      kind: 'sftp' as const,
      ...parseSftpSpec(i.sftp),
      hostKeys: [],
      fingerprint,
      hasKey: Boolean(key),
    };
    return { location, secrets: { secretAccessKey: null, sshKey: i.sshKey ?? null } };
  }
  if (i.sshKey || i.fingerprint) throw new InfraktError('VALIDATION', '--key and --fingerprint are for --sftp targets');
  if (!i.accessKeyId) throw new InfraktError('VALIDATION', '--s3 needs --access-key-id (the secret comes on stdin)');
  if (!i.secretAccessKey?.reveal())
    throw new InfraktError('VALIDATION', 'the secret access key is missing', {
      hint: 'pipe it on stdin: printf %s "$SECRET" | infrakt backup-target add … --s3 … --access-key-id …',
    });
  if (i.caCert !== undefined && !/-----BEGIN CERTIFICATE-----/.test(i.caCert))
    throw new InfraktError('VALIDATION', '--cacert must be a PEM certificate file');
  const location = {
    kind: 's3' as const,
    ...parseS3Spec(i.s3!, i.allowHttp),
    accessKeyId: parseInput(accessKeyIdSchema, i.accessKeyId, 'access key id'),
    region: i.region ? parseInput(regionSchema, i.region, 'region') : null,
    caCert: i.caCert ?? null,
  };
  return { location, secrets: { secretAccessKey: i.secretAccessKey, sshKey: null } };
}

function sealSecrets(ctx: Ctx, name: string, s: TargetSecrets): string {
  return ctx.cipher.seal(
    purpose(name),
    JSON.stringify({
      repoPassword: s.repoPassword.reveal(),
      secretAccessKey: s.secretAccessKey?.reveal() ?? null,
      sshKey: s.sshKey?.reveal() ?? null,
    }),
  );
}

/** `backup-target add`: validates everything, seals the credentials and a generated repository password. */
export async function addTarget(ctx: Ctx, input: AddTargetInput): Promise<AddTargetResult> {
  const name = parseInput(nameSchema, input.name, 'target name');
  const { location, secrets } = buildLocation(input);
  const exists = await ctx.store.db
    .selectFrom('backup_targets')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirst();
  if (exists)
    throw new InfraktError('CONFLICT', `backup target '${name}' already exists`, {
      hint: `remove it first (infrakt backup-target remove ${name}) or choose another name`,
    });
  const given = input.repoPassword?.reveal();
  if (given !== undefined && given.length < 8)
    throw new InfraktError('VALIDATION', 'the repository password must have at least 8 characters');
  // 256 bits from the CSPRNG: the repository key is only as strong as this password.
  const repoPassword = input.repoPassword ?? new Secret(randomBytes(32).toString('base64url'));
  const now = nowIso(ctx);
  const row = await ctx.store.db
    .insertInto('backup_targets')
    .values({
      name,
      kind: location.kind,
      location_json: JSON.stringify(location),
      secrets_enc: sealSecrets(ctx, name, { ...secrets, repoPassword }),
      last_check_json: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(ctx, 'backup-target.add', name, { location: describeLocation(location) });
  return { target: toTargetView(row), passwordGenerated: input.repoPassword === undefined };
}

export async function listTargets(ctx: Ctx): Promise<BackupTargetView[]> {
  const rows = await ctx.store.db.selectFrom('backup_targets').selectAll().orderBy('name').execute();
  return rows.map(toTargetView);
}

export async function resolveTarget(ctx: Ctx, name: string): Promise<ResolvedTarget> {
  parseInput(nameSchema, name, 'target name');
  const row = await ctx.store.db.selectFrom('backup_targets').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row)
    throw new InfraktError('NOT_FOUND', `backup target '${name}' not found`, {
      hint: 'list targets with: infrakt backup-target list',
    });
  return {
    row,
    name: row.name,
    location: JSON.parse(row.location_json) as TargetLocation,
    secrets: () => {
      const s = JSON.parse(ctx.cipher.unseal(purpose(row.name), row.secrets_enc)) as Record<string, string | null>;
      const opt = (v: string | null | undefined) => (v ? new Secret(v) : null);
      return {
        repoPassword: new Secret(s.repoPassword ?? ''),
        secretAccessKey: opt(s.secretAccessKey),
        sshKey: opt(s.sshKey),
      };
    },
  };
}

export async function getTarget(ctx: Ctx, name: string): Promise<BackupTargetView> {
  return toTargetView((await resolveTarget(ctx, name)).row);
}

/** The repository password, for disaster recovery with restic itself (asked for explicitly). */
export async function revealRepoPassword(ctx: Ctx, name: string): Promise<Secret> {
  const t = await resolveTarget(ctx, name);
  await audit(ctx, 'backup-target.reveal-password', t.name, {});
  return t.secrets().repoPassword;
}

/** Pins the SFTP host keys seen on first contact (only while none are pinned). */
export async function pinHostKeys(ctx: Ctx, t: ResolvedTarget, keys: readonly string[]): Promise<void> {
  if (t.location.kind !== 'sftp') return;
  const location = { ...t.location, hostKeys: [...keys] };
  await ctx.store.db
    .updateTable('backup_targets')
    .set({ location_json: JSON.stringify(location), updated_at: nowIso(ctx) })
    .where('id', '=', t.row.id)
    .where('location_json', '=', t.row.location_json)
    .execute();
  t.location = location;
}

export async function recordTargetCheck(ctx: Ctx, t: ResolvedTarget, check: TargetCheck): Promise<void> {
  await ctx.store.db
    .updateTable('backup_targets')
    .set({ last_check_json: JSON.stringify(check) })
    .where('id', '=', t.row.id)
    .execute();
}

/** Schedules (databases) that push to a target: a target in use can't be removed. */
export async function schedulesUsing(ctx: Ctx, name: string): Promise<string[]> {
  const rows = await ctx.store.db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .select(['apps.name', 'apps.settings_json', 'servers.name as server'])
    .where('apps.app_type', 'like', 'db:%')
    .execute();
  return rows
    .filter(
      (r) => (JSON.parse(r.settings_json) as { db?: { schedule?: { target?: string } } }).db?.schedule?.target === name,
    )
    .map((r) => `${r.server}/${r.name}`);
}

/** `backup-target remove`: forgets the target locally; the repository and its snapshots stay where they are. */
export async function removeTarget(ctx: Ctx, name: string): Promise<{ name: string; location: string }> {
  const t = await resolveTarget(ctx, name);
  const users = await schedulesUsing(ctx, t.name);
  if (users.length)
    throw new InfraktError('CONFLICT', `backup target '${t.name}' is used by the schedule of ${users.join(', ')}`, {
      hint: 'unschedule those first: infrakt db backup <name> --unschedule',
    });
  await ctx.store.db.deleteFrom('backup_targets').where('id', '=', t.row.id).execute();
  await audit(ctx, 'backup-target.remove', t.name, {});
  return { name: t.name, location: describeLocation(t.location) };
}
