import { randomBytes } from 'node:crypto';
import type { ServerRow } from '../../adapters/store/schema.js';
import { and, type BatchPart, type Cmd, exec, or } from '../../core/cmd/index.js';
import * as caddy from '../../core/commands/caddy.js';
import * as fs from '../../core/commands/fs.js';
import type { InfraktError } from '../../core/errors.js';
import { commandFailed, type Executor } from '../../core/executor.js';
import { serverSettings } from '../servers/servers.js';
import { type FramedScript, startFramed } from '../shared/framed-script.js';

/**
 * Work for the switch's own script once the new config is live (a deploy's retirement of its previous
 * release): one round trip for both. Sent only where the switch is one script (Caddy running); else the
 * caller runs it itself.
 */
export interface AfterApply {
  /** Run only if the apply succeeded, after the proxy lock's release; a part naming no `after` runs after `apply`. */
  readonly parts: readonly BatchPart[];
  /** Files the parts move into place: written next to their target with the config (stdin), removed if it fails. */
  readonly staged?: readonly { path: string; mode: number; content: string }[];
}

/** A reload of the running Caddy: its systemd unit when there is one, else through the admin API. */
export const reloadRunning = (configFile: string, adminAddress: string): Cmd =>
  or(
    and(caddy.systemdActive(), caddy.systemdReload(), exec('echo', 'systemd')),
    caddy.reload(configFile, adminAddress),
  );

/**
 * Swap, reload, restore if the reload failed, release the lock — and `afterApply`'s parts once the config is live:
 * one script, one round trip. Returns as soon as the apply and the unlock are known (`afterApply`'s parts may still run).
 */
export async function applyRunning(
  ex: Executor,
  server: ServerRow,
  o: {
    text: string;
    /** Write the candidate from stdin, then `install` it. */
    swap: Cmd;
    install: Cmd;
    restore: Cmd;
    invalid: () => InfraktError;
    log: (l: string) => void;
    unlock: { cmd: Cmd; done: () => void };
    lockFirst?: Cmd;
    afterApply?: AfterApply;
    signal?: AbortSignal;
  },
): Promise<
  | { changed: true; mode: 'systemd' | 'reload'; afterScript?: FramedScript }
  | { lockNotTaken: { exitCode: number; stdout: string } }
> {
  const paths = caddy.caddyPaths(server.root_dir);
  const { adminAddress } = serverSettings(server).proxy;
  const staged = o.afterApply?.staged ?? [];
  const tmp = (path: string) => `${path}.infrakt-${randomBytes(6).toString('hex')}`;
  // With staged files the config travels with them (one stdin for all), written by a part of its own.
  const files =
    staged.length > 0
      ? fs.writeFilesFromStdin([
          { path: paths.candidate, mode: 0o644, tmp: tmp(paths.candidate) },
          ...staged.map((f) => ({ path: f.path, mode: f.mode, tmp: tmp(f.path) })),
        ])
      : null;
  const discard = and(fs.rmFile(paths.candidate), ...staged.map((f) => fs.rmFile(f.path)), exec('false'));
  const apply = or(
    and(
      echoStage('swap'),
      files ? o.install : o.swap,
      or(and(echoStage('reload'), reloadRunning(paths.config, adminAddress)), and(o.restore, exec('false'))),
    ),
    discard,
  );
  // With `lockFirst`, everything runs only if the lock was taken.
  const afterLock = o.lockFirst ? { after: 'lock' } : {};
  const parts: BatchPart[] = [
    ...(o.lockFirst ? [{ name: 'lock', cmd: o.lockFirst }] : []),
    ...(files ? [{ name: 'files', cmd: files, stdin: true, ...afterLock }] : []),
    { name: 'apply', cmd: apply, ...(files ? { after: 'files' } : { stdin: true, ...afterLock }) },
    { name: 'unlock', cmd: o.unlock.cmd, ...afterLock },
    ...(o.afterApply?.parts ?? []).map((p) => (p.after === undefined ? { ...p, after: 'apply' } : p)),
  ];
  const stdin = files ? fs.filesPayload([o.text, ...staged.map((f) => f.content)]) : o.text;
  const script = startFramed(ex, parts, { stdin, ...(o.signal ? { signal: o.signal } : {}) });
  if (o.lockFirst) {
    const lock = await script.part('lock');
    if (lock?.exitCode !== 0) {
      const r = await script.done;
      return { lockNotTaken: lock ?? { exitCode: r.exitCode || 255, stdout: '' } };
    }
  }
  const written = files ? await script.part('files') : null;
  const applied = await script.part('apply');
  if ((await script.part('unlock'))?.exitCode === 0) o.unlock.done();
  if (applied?.exitCode === 0)
    return {
      changed: true,
      mode: applied.stdout.trim().endsWith('systemd') ? 'systemd' : 'reload',
      ...(o.afterApply ? { afterScript: script } : {}),
    };
  const r = await script.done;
  if (files && written?.exitCode !== 0)
    throw commandFailed(ex.target, files, { ...r, stdout: written?.stdout ?? '' }, 'write the Caddy config');
  const out = applied?.stdout ?? '';
  if (!out.includes('stage:reload')) throw o.invalid();
  o.log('reload failed: restored the previous Caddy config');
  throw commandFailed(ex.target, reloadRunning(paths.config, adminAddress), { ...r, stdout: out }, 'caddy reload');
}

/** A line saying how far the apply script got (a failure after `reload` began needs the restore). */
const echoStage = (stage: string): Cmd => exec('echo', `stage:${stage}`);
