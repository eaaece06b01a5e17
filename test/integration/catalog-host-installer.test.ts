// Host installers on a real systemd host (the fresh-VPS container, reached over SSH): the exit-code contract
// end to end — 0 installed and a second run "unchanged" (check.sh), 1 not retried, 2 retried with backoff
// (then installed, or given up), 3 manual intervention, 124 when the time limit kills the whole process group
// (the sleeping processes are gone afterwards) — plus the OS check before anything runs, no stdin, and the
// secret input scrubbed from the job log although the script prints it.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfraktError } from '../../src/core/errors.js';
import { prepareCatalogInstall } from '../../src/services/catalog/install.js';
import { listInstalled } from '../../src/services/catalog/installed.js';
import type { Ctx } from '../../src/services/shared/context.js';
import { runPlan } from '../../src/services/shared/job-plan.js';
import { REPO_ROOT } from '../harness/cli.js';
import type { Vps } from '../harness/vps/start-vps.js';
import { shouldRunVpsTests, startVpsServer, type VpsServer } from '../harness/vps/vps-server.js';

const runIt = await shouldRunVpsTests();

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'catalog');
const ROOT = '/opt/infrakt';

describe.skipIf(!runIt)('catalog host installers on a systemd host', () => {
  let server: VpsServer;
  let vps: Vps;
  let ctx: Ctx;
  const marker = `m${Date.now().toString(36)}`;

  beforeAll(async () => {
    server = await startVpsServer({ root: ROOT });
    ({ vps, ctx } = server);
  }, 180_000);

  afterAll(() => server?.close(), 60_000);

  const install = async (mode: string, entry = 'hostcodes', m = marker) => {
    const plan = await prepareCatalogInstall(ctx, {
      entry,
      server: 'vps',
      values: { mode, marker: m },
      catalogDirs: [FIXTURES],
    });
    const started = Date.now();
    try {
      const r = await runPlan(ctx, plan);
      return { ok: true as const, result: r, jobId: r.jobId, ms: Date.now() - started };
    } catch (e) {
      const err = e as InfraktError;
      return { ok: false as const, error: err, jobId: String(err.details?.jobId), ms: Date.now() - started };
    }
  };
  const logText = async (jobId: string) =>
    (await ctx.jobs.logs(jobId, { limit: 10_000 })).map((l) => l.line).join('\n');
  const steps = async (jobId: string) => (await ctx.jobs.get(jobId)).steps.map((s) => `${s.name}:${s.status}`);

  it('exit 0 installs (no stdin, secret scrubbed); a second run is "unchanged" through check.sh', async () => {
    const first = await install('ok');
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.result).toMatchObject({ kind: 'host', outcome: 'installed', attempts: 1 });
    const out = first.result.outputs[0]!.value;
    const token = typeof out === 'string' ? out : out.reveal();
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const log = await logText(first.jobId);
    expect(log).toContain('mode=ok token=[redacted]');
    expect(log).not.toContain(token);
    expect(log).toContain('stdin: nothing');
    expect(await steps(first.jobId)).toEqual([
      'connect:succeeded',
      'check system:succeeded',
      'upload installer:succeeded',
      'check.sh:succeeded',
      'install:succeeded',
      'verify:succeeded',
      'clean up:succeeded',
    ]);
    // Nothing of the run stays on the server: scripts, and the env file holding the token.
    expect(
      (await vps.sh(`ls ${ROOT}/catalog/hostcodes 2>&1; grep -rl ${token} ${ROOT} /tmp /var/tmp 2>/dev/null`)).stdout,
    ).toMatch(/No such file/);
    const second = await install('ok');
    expect(second.ok && second.result.outcome).toBe('unchanged');
    expect(await steps(second.jobId)).toContain('install:skipped');
    expect((await listInstalled(ctx, { server: 'vps' })).find((r) => r.entry === 'hostcodes')).toMatchObject({
      status: 'unchanged',
    });
  }, 120_000);

  it('exit 1: invalid input, not retried', async () => {
    const r = await install('invalid', 'hostcodes', `${marker}-1`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('VALIDATION');
    expect(r.error.message).toMatch(/exited 1: invalid input/);
    expect((await steps(r.jobId)).filter((s) => s.startsWith('install'))).toEqual(['install:failed']);
  }, 60_000);

  it('exit 2: retried with backoff until it works, or given up after the bounded attempts', async () => {
    const flaky = await install('flaky', 'hostcodes', `${marker}-2`);
    expect(flaky.ok && flaky.result).toMatchObject({ outcome: 'installed', attempts: 3 });
    expect((await steps(flaky.jobId)).filter((s) => s.startsWith('install'))).toEqual([
      'install:failed',
      'install (attempt 2):failed',
      'install (attempt 3):succeeded',
    ]);
    // Backoff 1 s then 2 s between the attempts.
    expect(flaky.ms).toBeGreaterThanOrEqual(3000);
    expect(await logText(flaky.jobId)).toMatch(
      /retrying in 1 s \(attempt 2 of 3\)[\s\S]*retrying in 2 s \(attempt 3 of 3\)/,
    );
    const always = await install('always2', 'hostcodes', `${marker}-3`);
    expect(always.ok).toBe(false);
    if (always.ok) return;
    expect(always.error.code).toBe('COMMAND_FAILED');
    expect(always.error.message).toMatch(/exited 2: install error .*gave up after 3 attempts/);
  }, 90_000);

  it('exit 3: configuration error, manual intervention', async () => {
    const r = await install('config', 'hostcodes', `${marker}-4`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('STATE');
    expect(r.error.details).toMatchObject({ exitCode: 3 });
    expect(await logText(r.jobId)).toContain('config test failed');
  }, 60_000);

  it('124: the time limit kills the installer and everything it started', async () => {
    const m = `${marker}-5`;
    const r = await install('sleep', 'hostcodes', m);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('TIMEOUT');
    expect(r.error.message).toMatch(/exited 124: timed out/);
    expect(r.error.details).toMatchObject({ exitCode: 124 });
    // Not retried, and bounded by timeout_seconds (6 s) plus the kill.
    expect((await steps(r.jobId)).filter((s) => s.startsWith('install'))).toEqual(['install:failed']);
    expect(r.ms).toBeLessThan(30_000);
    const left = await vps.sh(`ps -eo args | grep -c '[i]kt-sleeper-${m}' || true`);
    expect(left.stdout.trim()).toBe('0');
  }, 60_000);

  it('an unsupported OS is refused before anything is uploaded', async () => {
    const r = await install('ok', 'hostcodes-ubuntu', `${marker}-6`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('UNSUPPORTED');
    expect(r.error.message).toMatch(/needs ubuntu ≥ 22.04; the server runs Debian/);
    expect((await vps.sh(`ls -d ${ROOT}/catalog/hostcodes-ubuntu 2>&1`)).stdout).toMatch(/No such file/);
  }, 60_000);
});
