// Shared set-up for the database tests: a harness sshd "server", the built CLI with its own INFRAKT_HOME,
// the official image names made to exist locally by tagging the test images (removed afterwards only when
// this file created them), a /proc sampler that proves no process ever carried a password on its command
// line, and cleanup of every container/volume named after the test's prefix.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { type CliResult, cleanupHomes, makeInfraktHome, registerHarnessServer, runCli } from '../harness/cli.js';
import { cleanupDocker, docker, ensureTestImages, requireDocker, TEST_IMAGES } from '../harness/docker.js';
import { type SshdHost, startSshd, stopAllSshd } from '../harness/sshd.js';

export const rand = (): string => randomBytes(4).toString('hex');

/** Official names the product defaults to, backed by the local test images (never pulled). */
const TAGS = {
  postgres: [TEST_IMAGES.postgres, 'postgres:15'],
  redis: [TEST_IMAGES.redis, 'redis:7'],
  mariadb: [TEST_IMAGES.mariadb, 'mariadb:10.11'],
} as const;

export interface DbEnv {
  home: string;
  host: SshdHost;
  server: string;
  prefix: string;
  cli(args: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<CliResult>;
  ok(args: readonly string[]): Promise<CliResult>;
  json<T>(args: readonly string[]): Promise<T>;
  close(): Promise<void>;
}

/**
 * `engines`: the official names this file needs (default both). A tag this call added is removed at the end,
 * unless a container still uses it (another test file running at the same time may rely on it).
 */
export async function dbEnv(engines: readonly (keyof typeof TAGS)[] = ['postgres', 'redis']): Promise<DbEnv> {
  await requireDocker();
  await ensureTestImages();
  const added: string[] = [];
  for (const [from, to] of engines.map((e) => TAGS[e])) {
    const has = await docker(['image', 'inspect', to], { check: false });
    if (has.code !== 0) {
      await docker(['tag', from, to]);
      added.push(to);
    }
  }
  const home = makeInfraktHome();
  const host = await startSshd();
  const prefix = `ikt-test-${rand()}`;
  const server = `${prefix}-srv`;
  await registerHarnessServer(home, host, server);
  const cli = (args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}) =>
    runCli(args, { home, timeoutMs: 300_000, ...opts });
  const ok = async (args: readonly string[]) => {
    const r = await cli(args);
    if (r.code !== 0) throw new Error(`infrakt ${args.join(' ')} → exit ${r.code}\n${r.stderr}\n${r.stdout}`);
    return r;
  };
  return {
    home,
    host,
    server,
    prefix,
    cli,
    ok,
    json: async <T>(args: readonly string[]) => JSON.parse((await ok([...args, '--json'])).stdout) as T,
    close: async () => {
      await cleanupDocker(prefix).catch(() => undefined);
      for (const t of added) {
        // Containers created under this very name (not merely from the same image id).
        const users = await docker(['ps', '-a', '--format', '{{.Image}}'], { check: false });
        if (!users.stdout.split('\n').includes(t)) await docker(['rmi', t], { check: false });
      }
      await stopAllSshd();
      cleanupHomes();
    },
  };
}

/**
 * Samples every process's command line (/proc/<pid>/cmdline, what `ps` shows) every few ms until stopped;
 * `hits(secret)` lists the command lines that contained it.
 */
export function cmdlineSampler(): { stop(): void; hits(secret: string): string[]; samples(): number } {
  const seen = new Set<string>();
  let samples = 0;
  const tick = () => {
    samples++;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        seen.add(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
      } catch {
        // gone already
      }
    }
  };
  const timer = setInterval(tick, 15);
  return {
    stop: () => clearInterval(timer),
    hits: (s) => [...seen].filter((l) => l.includes(s)),
    samples: () => samples,
  };
}
