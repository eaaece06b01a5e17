// The app settings form: its text fields from the API's settings view, and back to a PATCH body holding only
// what the user changed (an unchanged field is never sent, so it can't overwrite a concurrent change).
// Checks here are for quick feedback; the API validates every field again and answers 400 changing nothing.
import type { AppSettingsView, AppUpdateRequest } from '../api/types.js';
import { checkDomain, checkPort, type FieldErrors } from './validation.js';

export type SettingsField =
  | 'domains'
  | 'wwwRedirect'
  | 'port'
  | 'healthPath'
  | 'healthTimeout'
  | 'stopTimeout'
  | 'drainTimeout'
  | 'memory'
  | 'cpus'
  | 'restart'
  | 'volumes'
  | 'releaseCommand'
  | 'preBackupHook';

export type SettingsForm = Record<Exclude<SettingsField, 'wwwRedirect'>, string> & { wwwRedirect: boolean };

export const RESTART_POLICIES = ['unless-stopped', 'always', 'on-failure', 'no'] as const;

/** One item per line (or comma), blanks dropped: how domains and volumes are typed. */
export const lines = (v: string): string[] =>
  v
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

export function settingsForm(s: AppSettingsView): SettingsForm {
  return {
    domains: s.domains.join('\n'),
    wwwRedirect: s.wwwRedirect,
    port: String(s.port),
    healthPath: s.health.path,
    healthTimeout: String(Math.round(s.health.timeoutMs / 1000)),
    stopTimeout: String(s.stopTimeoutSec),
    drainTimeout: String(s.drainTimeoutSec),
    memory: s.memory ?? '',
    cpus: s.cpus === null ? '' : String(s.cpus),
    restart: s.restart,
    volumes: s.volumes.map((v) => v.spec).join('\n'),
    releaseCommand: s.releaseCommand ?? '',
    preBackupHook: s.preBackupHook ?? '',
  };
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The PATCH body of what changed, and field errors (an empty body means nothing changed). */
export function settingsPatch(
  before: SettingsForm,
  after: SettingsForm,
): { body: AppUpdateRequest; errors: FieldErrors<SettingsField> } {
  const body: AppUpdateRequest = {};
  const errors: FieldErrors<SettingsField> = {};
  const domains = lines(after.domains).map((d) => d.toLowerCase());
  if (!sameList(domains, lines(before.domains))) {
    const bad = domains.find((d) => checkDomain(d) !== null);
    if (bad) errors.domains = `${bad} ${checkDomain(bad)}`;
    else if (new Set(domains).size !== domains.length) errors.domains = 'lists a domain twice';
    body.domains = domains;
  }
  if (after.wwwRedirect !== before.wwwRedirect) body.wwwRedirect = after.wwwRedirect;
  if (after.port.trim() !== before.port) {
    errors.port = checkPort(after.port) ?? undefined;
    body.port = Number(after.port);
  }
  if (after.healthPath.trim() !== before.healthPath) {
    if (!after.healthPath.trim().startsWith('/')) errors.healthPath = 'must start with /';
    body.healthPath = after.healthPath.trim();
  }
  if (after.healthTimeout.trim() !== before.healthTimeout) {
    const n = Number(after.healthTimeout);
    if (!/^\s*\d+\s*$/.test(after.healthTimeout) || n < 1 || n > 3600)
      errors.healthTimeout = 'must be 1 to 3600 seconds';
    body.healthTimeout = n;
  }
  for (const f of ['stopTimeout', 'drainTimeout'] as const) {
    if (after[f].trim() === before[f]) continue;
    const n = Number(after[f]);
    if (!/^\s*\d+\s*$/.test(after[f]) || n > 3600) errors[f] = 'must be 0 to 3600 seconds';
    body[f] = n;
  }
  if (after.memory.trim() !== before.memory) {
    const m = after.memory.trim().toLowerCase();
    if (m && !/^[0-9]{1,12}[bkmg]?$/.test(m)) errors.memory = 'must be a size such as 512m or 2g, or empty';
    body.memory = m || null;
  }
  if (after.cpus.trim() !== before.cpus) {
    const c = after.cpus.trim();
    if (c && !(Number(c) > 0)) errors.cpus = 'must be a number such as 0.5 or 2, or empty';
    body.cpus = c ? Number(c) : null;
  }
  if (after.restart.trim() !== before.restart) body.restart = after.restart.trim();
  const volumes = lines(after.volumes);
  if (!sameList(volumes, lines(before.volumes))) body.volumes = volumes;
  if (after.releaseCommand.trim() !== before.releaseCommand) {
    if (/[\n\r]/.test(after.releaseCommand.trim())) errors.releaseCommand = 'must be one line';
    body.releaseCommand = after.releaseCommand.trim() || null;
  }
  if (after.preBackupHook.trim() !== before.preBackupHook) {
    if (/[\n\r]/.test(after.preBackupHook.trim())) errors.preBackupHook = 'must be one line';
    body.preBackupHook = after.preBackupHook.trim() || null;
  }
  return { body, errors };
}
