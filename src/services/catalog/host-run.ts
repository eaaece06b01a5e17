// What every run of a host entry's scripts shares (install, check at plan time, uninstall): the system check
// (root or passwordless sudo), the scripts uploaded to a private dir, one script run with its env file sent as
// data, and the dir removed afterwards.
import type { CatalogEntry } from '../../adapters/catalog/catalog-dir.js';
import { EXIT_TIMEOUT, installerLayout, osMismatch, prepareDir, runScript } from '../../core/catalog/host-installer.js';
import type { CatalogManifest } from '../../core/catalog/manifest-schema.js';
import { exec, sudo } from '../../core/cmd/index.js';
import * as fs from '../../core/commands/fs.js';
import * as os from '../../core/commands/os.js';
import { InfraktError, isInfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import { parseHostFacts } from '../../core/plans/provision-os.js';
import type { Secret } from '../../core/secret.js';

export interface RunCtx {
  readonly ex: Executor;
  readonly signal?: AbortSignal;
  readonly entry: CatalogEntry;
  readonly root: string;
  readonly asRoot: boolean;
  /** The env file's content (renderInstallerEnv). */
  readonly env: string;
  readonly secrets: readonly Secret[];
}

/** The script names of a host entry (check and uninstall only when the entry has them). */
export function hostScripts(entry: CatalogEntry): { install: string; check: string | null; uninstall: string | null } {
  const m = entry.manifest;
  const check = m.check_script ?? 'check.sh';
  const uninstall = m.uninstall_script ?? 'uninstall.sh';
  return {
    install: m.install_script ?? 'install.sh',
    check: entry.scripts?.[check] !== undefined ? check : null,
    uninstall: entry.scripts?.[uninstall] !== undefined ? uninstall : null,
  };
}

/** Checks the OS against the entry and whether commands need sudo; returns asRoot and a line for the job log. */
export async function checkSystem(
  ex: Executor,
  m: CatalogManifest,
  user: string,
): Promise<{ asRoot: boolean; detail: string }> {
  const facts = parseHostFacts((await runChecked(ex, os.detect(), { what: 'detect the system' })).stdout);
  const why = osMismatch(m, facts.os);
  if (why) throw new InfraktError('UNSUPPORTED', `${m.name} is not supported here: ${why}`);
  const asRoot = facts.uid !== 0;
  if (asRoot && (await ex.run(sudo(exec('true')))).exitCode !== 0)
    throw new InfraktError('STATE', `${m.name} installs as root: ${user} needs passwordless sudo`);
  return { asRoot, detail: `${facts.os.pretty}${asRoot ? ' (through sudo)' : ''}` };
}

/** The entry's scripts in a dir private to root under the server's root; returns what was uploaded where. */
export async function uploadScripts(ex: Executor, entry: CatalogEntry, root: string, asRoot: boolean): Promise<string> {
  const l = installerLayout(root, entry.manifest.id);
  await runChecked(ex, asRoot ? sudo(prepareDir(l)) : prepareDir(l), { what: 'create the installer dir' });
  for (const [name, text] of Object.entries(entry.scripts ?? {}))
    await ex.put(l.script(name), text, { mode: 0o700, sudo: asRoot });
  return `${Object.keys(entry.scripts ?? {}).join(', ')} → ${l.dir}`;
}

/** Removes the scripts' dir (nothing of a run stays on the server). */
export async function removeScripts(ex: Executor, entry: CatalogEntry, root: string, asRoot: boolean): Promise<void> {
  const l = installerLayout(root, entry.manifest.id);
  await runChecked(ex, asRoot ? sudo(fs.rmrf(l.dir)) : fs.rmrf(l.dir), { what: 'remove the installer dir' });
}

/** Sends the env file (0600, as data) and runs one script; resolves with its exit code (124 on the time limit). */
export async function runOnce(
  r: RunCtx,
  script: string,
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
): Promise<number> {
  const l = installerLayout(r.root, r.entry.manifest.id);
  await r.ex.put(l.envFile, r.env, { mode: 0o600, sudo: r.asRoot });
  try {
    const res = await r.ex.stream(runScript(l, script, { sudo: r.asRoot }), (stream, line) => onLine(line, stream), {
      timeoutMs: r.entry.manifest.timeout_seconds * 1000,
      ...(r.signal ? { signal: r.signal } : {}),
      secrets: [...r.secrets],
    });
    return res.exitCode;
  } catch (e) {
    // The executor killed the remote process group when the limit passed: the contract's 124.
    if (isInfraktError(e) && e.code === 'TIMEOUT') return EXIT_TIMEOUT;
    throw e;
  } finally {
    // The wrapper removes the file once read; this covers a script that never started.
    await r.ex.run(r.asRoot ? sudo(fs.rmFile(l.envFile)) : fs.rmFile(l.envFile)).catch(() => undefined);
  }
}
