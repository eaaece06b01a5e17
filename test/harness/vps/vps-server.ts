// A systemd VPS registered as a server in a temp state, with a real job runner: the set-up that the service-level
// tests of systemd features (cron timers, database backup schedules, catalog host installers) share. Services run
// in-process against the VPS over real SSH (host key policy "any": these tests are not about pinning).
import { readFileSync } from 'node:fs';
import { connectSsh } from '../../../src/adapters/connect.js';
import { createJobRunner } from '../../../src/adapters/jobs/runner.js';
import type { Ctx } from '../../../src/services/shared/context.js';
import { openTestState, removeDir, type TestState, tempDir } from '../../helpers/state.js';
import { shouldRunDockerTests } from '../docker.js';
import { getClientKeys } from '../sshd.js';
import { docker, startVps, VPS_IMAGE, type Vps } from './start-vps.js';

/**
 * Whether the systemd VPS tests run here: Docker answers, and either this is CI (where a missing image must fail
 * the run, not skip it) or scripts/test-setup-vps.sh has built the image.
 */
export async function shouldRunVpsTests(): Promise<boolean> {
  if (!(await shouldRunDockerTests())) return false;
  return process.env.CI === 'true' || (await docker(['image', 'inspect', VPS_IMAGE])).code === 0;
}

export interface VpsServerOptions {
  /** The server's name in the store (default `vps`). */
  readonly name?: string;
  /** Its remote root (default `/opt/infrakt`). */
  readonly root?: string;
  /** Server settings stored with it, e.g. `{ pullPolicy: 'never' }`. */
  readonly settings?: Record<string, unknown>;
  /** A Docker engine inside the VPS (startVps's `hostDocker`), with these images of this host loaded into it. */
  readonly hostDocker?: boolean;
  readonly images?: readonly string[];
}

export interface VpsServer {
  readonly vps: Vps;
  readonly ctx: Ctx;
  readonly state: TestState;
  /** The server's name in the store. */
  readonly name: string;
  readonly root: string;
  /** Stops the job runner, closes the state, removes its directory and the VPS; safe after a failed start. */
  close(): Promise<void>;
}

export async function startVpsServer(opts: VpsServerOptions = {}): Promise<VpsServer> {
  const name = opts.name ?? 'vps';
  const root = opts.root ?? '/opt/infrakt';
  const keys = getClientKeys();
  const vps = await startVps({
    publicKey: readFileSync(`${keys.ed25519}.pub`, 'utf8'),
    ...(opts.hostDocker ? { hostDocker: true } : {}),
  });
  const dir = tempDir();
  let state: TestState | undefined;
  let closeJobs = () => {};
  const close = async () => {
    closeJobs();
    await state?.close();
    removeDir(dir);
    await vps.stop();
  };
  try {
    for (const image of opts.images ?? []) await vps.loadImage(image);
    state = openTestState(`${dir}/home`);
    const jobs = createJobRunner({ store: state.ctx.store, clock: state.ctx.clock, actor: 'test', runner: 'test' });
    closeJobs = () => jobs.close();
    const ctx: Ctx = {
      ...state.ctx,
      clock: { now: () => new Date() },
      jobs,
      connect: (s) => connectSsh(s, { hostKeyPolicy: 'any' }),
    };
    const now = new Date().toISOString();
    await ctx.store.db
      .insertInto('servers')
      .values({
        name,
        host: vps.ip,
        port: 22,
        user: 'root',
        key_path: keys.ed25519,
        provider: null,
        root_dir: root,
        status: 'active',
        host_key_fingerprint: null,
        host_key: null,
        settings_json: JSON.stringify(opts.settings ?? {}),
        last_checked_at: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return { vps, ctx, state, name, root, close };
  } catch (e) {
    await close();
    throw e;
  }
}
