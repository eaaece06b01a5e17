import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { BatchPart, BatchResult, Cmd } from '../../../core/cmd/index.js';
import * as compose from '../../../core/commands/compose.js';
import * as docker from '../../../core/commands/docker.js';
import * as fs from '../../../core/commands/fs.js';
import { describeProbe, healthWait, parseProbeLine } from '../../../core/commands/http.js';
import { commandFailed, type RunResult } from '../../../core/executor.js';
import { releaseProject } from '../../../core/plans/layout.js';
import { Secret } from '../../../core/secret.js';
import { type FramedScript, startFramed } from '../../shared/framed-script.js';
import { appSettings } from '../release-source.js';
import { preparedOf, type ReleaseRun, releaseTargetOf, servicesTargetOf } from './release-run.js';

/** How long one health probe may wait for an answer. */
export const PROBE_TIMEOUT_MS = 5000;

/**
 * `write release files` → (`update services in place`) → `start new release` → `health check` as one script on
 * the server: one round trip instead of four or more, each part starting only if the one before exited 0 and
 * each step still reporting its own part as its frame arrives (see framed-script.ts). Used when nothing is
 * built between the files and the start (image apps, compose apps without `build:`); a build keeps the steps
 * apart. The files travel together on the script's stdin (0600, never on a command line).
 */
export interface ReleaseChain {
  readonly script: FramedScript;
  /** Each part's command, by name (what a failure names). */
  readonly cmds: ReadonlyMap<string, Cmd>;
  /**
   * Sends the health probes' lines to the health step's log (kept until then: the script may run ahead of
   * the steps that report it).
   */
  attachHealthLog(log: (line: string) => void): void;
}

export function chainable(run: ReleaseRun): boolean {
  const p = preparedOf(run);
  return !p.dockerfile && !p.composeBuild && run.hostPort > 0 && run.plan.some((s) => s.kind === 'health');
}

/** The health wait of the release as a Cmd (also run on its own when the chain did not get to it). */
export function releaseHealthWait(run: ReleaseRun) {
  const { health } = appSettings(run.app);
  return healthWait({
    port: run.hostPort,
    path: health.path,
    ...(health.accept ? { accept: health.accept } : {}),
    timeoutMs: health.timeoutMs,
    intervalMs: health.intervalMs,
    stillRunning: docker.projectRunning(releaseProject(run.app.name, run.release)),
    probeTimeoutMs: PROBE_TIMEOUT_MS,
  });
}

/** The files of the release (path, mode, content) as `write release files` writes them. */
function releaseFiles(run: ReleaseRun): { path: string; mode: number; content: string }[] {
  const p = preparedOf(run);
  const l = run.layout;
  return [
    { path: l.releaseFile(run.release), mode: 0o600, content: p.releaseFile },
    ...(p.sourceYaml !== undefined
      ? [{ path: `${l.releaseDir(run.release)}/source.yml`, mode: 0o644, content: p.sourceYaml }]
      : []),
    ...(p.servicesFile !== null && run.req.action === 'deploy'
      ? [{ path: l.servicesFile, mode: 0o600, content: p.servicesFile }]
      : []),
  ];
}

/** Starts the chain; the write step awaits its first part, the later steps theirs. */
export function startReleaseChain(run: ReleaseRun): ReleaseChain {
  const p = preparedOf(run);
  const files = releaseFiles(run);
  const tmp = (path: string) =>
    posix.join(posix.dirname(path), `.${posix.basename(path)}.infrakt-${randomBytes(6).toString('hex')}`);
  const services = p.servicesFile !== null && run.req.action === 'deploy';
  const parts: BatchPart[] = [
    { name: 'write', cmd: fs.writeFilesFromStdin(files.map((f) => ({ ...f, tmp: tmp(f.path) }))), stdin: true },
    ...(services ? [{ name: 'services', cmd: compose.up(servicesTargetOf(run)), after: 'write' }] : []),
    { name: 'up', cmd: compose.up(releaseTargetOf(run)), after: services ? 'services' : 'write' },
    { name: 'health', cmd: releaseHealthWait(run), after: 'up' },
  ];
  const { path } = appSettings(run.app).health;
  let log: ((line: string) => void) | null = null;
  const pending: string[] = [];
  const script = startFramed(run.ex, parts, {
    // The files carry the app's variables: the whole payload is a secret (scrubbed, never logged).
    stdin: new Secret(fs.filesPayload(files.map((f) => f.content))),
    signal: run.job.signal,
    secrets: [...run.env.values()],
    onLine: (part, line) => {
      if (part !== 'health' || !line.trim()) return;
      const text = probeText(line, path);
      if (log) log(text);
      else pending.push(text);
    },
  });
  return {
    script,
    cmds: new Map(parts.map((x) => [x.name, x.cmd])),
    attachHealthLog: (l) => {
      log = l;
      for (const line of pending.splice(0)) l(line);
    },
  };
}

/** A line of the health wait as the job log shows it (`probe 2: no answer (connection refused)`). */
export function probeText(line: string, path: string): string {
  const p = parseProbeLine(line);
  return p ? `probe ${p.attempt}: ${describeProbe(p, path)}` : line;
}

/** A part's result as a RunResult; for a failed part with the script's stderr, once the script ended. */
export async function partResult(chain: ReleaseChain, r: BatchResult): Promise<RunResult> {
  // A part that succeeded is reported at once: the script goes on (the start must not wait for the health wait).
  if (r.exitCode === 0) return { exitCode: 0, stdout: r.stdout, stderr: '', durationMs: 0 };
  const done = await chain.script.done.catch(() => null);
  // A part's own output first (compose up merges its stderr into it), else what the script printed on stderr.
  const stderr = r.stdout.trim() ? r.stdout : (done?.stderr ?? '');
  return { exitCode: r.exitCode, stdout: r.stdout, stderr, durationMs: done?.durationMs ?? 0 };
}

/** Fails the step unless the part ran and exited 0. */
export async function expectPart(run: ReleaseRun, chain: ReleaseChain, name: string, what: string): Promise<void> {
  const r = await chain.script.part(name);
  if (r && r.exitCode === 0) return;
  const done = await chain.script.done.catch(() => null);
  const result = r ? await partResult(chain, r) : (done ?? { exitCode: 255, stdout: '', stderr: '', durationMs: 0 });
  throw commandFailed(run.ex.target, chain.cmds.get(name) ?? chain.script.script, result, what);
}
