// `provider add hetzner` / `server create --provider` / `server destroy` through the built CLI against a loopback
// fake of the Hetzner Cloud API whose "servers" are real harness sshd instances, each on a loopback address of
// its own (port 22) and serving the host key from the cloud-init user data infrakt sent.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';
import { FakeHetzner } from '../harness/fake-hetzner.js';
import { fingerprintOf, getClientKeys, sshdAvailable, stopAllSshd } from '../harness/sshd.js';
import { removeDir, tempDir } from '../helpers/state.js';

const TOKEN = `${'T0k3n'.repeat(12)}abcd`;
const runnable = sshdAvailable() && process.getuid?.() === 0;

describe.skipIf(!runnable && process.env.CI !== 'true')(
  'Hetzner Cloud provider (fake API, harness sshd machines)',
  () => {
    const fake = new FakeHetzner({ token: TOKEN, backend: 'sshd' });
    const mitm = new FakeHetzner({ token: TOKEN, backend: 'sshd', wrongHostKey: true });
    let home: string;
    let roots: string;
    const cli = (args: string[], input?: string) =>
      runCli(args, { home, timeoutMs: 180_000, ...(input !== undefined ? { input } : {}) });
    const key = () => getClientKeys().ed25519;
    const create = (name: string, provider = 'hc') =>
      cli([
        'server',
        'create',
        '--provider',
        provider,
        '--name',
        name,
        '--type',
        'cx22',
        '--location',
        'nbg1',
        '--image',
        'debian-12',
        '--key',
        key(),
        '--root',
        join(roots, name),
        '--json',
      ]);

    beforeAll(async () => {
      await fake.start();
      await mitm.start();
      home = makeInfraktHome();
      roots = tempDir('ikt-test-roots-');
    });
    afterAll(async () => {
      await fake.stop();
      await mitm.stop();
      await stopAllSshd();
      cleanupHomes();
      removeDir(roots);
    });

    it('provider add checks the token and stores it encrypted; a wrong token is refused', async () => {
      const bad = await cli(['provider', 'add', 'hetzner', '--name', 'hc', '--endpoint', fake.url], 'w'.repeat(64));
      expect(bad.code).toBe(30);
      expect(bad.stderr).toContain('unable to authenticate (unauthorized, HTTP 401)');
      const ok = await cli(['provider', 'add', 'hetzner', '--name', 'hc', '--endpoint', fake.url], `${TOKEN}\n`);
      expect(ok.code, ok.stderr).toBe(0);
      expect((await cli(['provider', 'add', 'hetzner', '--name', 'evil', '--endpoint', mitm.url], TOKEN)).code).toBe(0);
      const list = await cli(['provider', 'list', '--json']);
      expect(JSON.parse(list.stdout).map((p: { name: string }) => p.name)).toEqual(['evil', 'hc']);
      expect(list.stdout + readFileSync(join(home, 'infrakt.db')).toString('latin1')).not.toContain(TOKEN);
    });

    it('server create: host key generated here, injected, pinned before the first connection; SSH key uploaded once', async () => {
      const t0 = Date.now();
      const r = await create('cloud-1');
      expect(r.code, r.stderr).toBe(0);
      const job = JSON.parse(r.stdout) as {
        result: {
          server: { status: string; host: string; hostKeyFingerprint: string };
          ip: string;
          sshKey: { reused: boolean };
        };
      };
      const machine = [...fake.servers.values()].find((s) => s.name === 'cloud-1')!.machine!;
      expect(job.result.server.status).toBe('active');
      expect(job.result.ip).toBe(machine.ip);
      expect(job.result.server.hostKeyFingerprint).toBe(fingerprintOf(machine.hostKey));
      expect(job.result.sshKey.reused).toBe(false);
      // The user data carried the key; labels mark the server as infrakt's.
      const body = fake.createBodies.at(-1)!;
      expect(body.labels).toMatchObject({ 'managed-by': 'infrakt', 'infrakt-server': 'cloud-1' });
      expect(String(body.user_data)).toContain('ed25519_private');
      // The private host key never reaches the job log.
      const pem = String(body.user_data).match(/-----BEGIN OPENSSH PRIVATE KEY-----\n\s*(\S+)/)![1]!;
      const logs = await cli(['job', 'logs', (JSON.parse(r.stdout) as { id: string }).id]);
      expect(logs.stdout).not.toContain(pem.slice(0, 30));
      expect([...fake.sshKeys.values()][0]?.labels).toEqual({ 'managed-by': 'infrakt' });
      console.log(`server create (fake API, sshd machine): ${Date.now() - t0} ms`);

      const second = await create('cloud-2');
      expect(second.code, second.stderr).toBe(0);
      expect((JSON.parse(second.stdout) as typeof job).result.sshKey.reused).toBe(true);
      expect(fake.sshKeys.size).toBe(1);
      const exec = await cli(['server', 'exec', '--server', 'cloud-1,cloud-2', '--', 'echo', 'hi']);
      expect(exec.code, exec.stderr).toBe(0);
    });

    it('429 rate_limit_exceeded is retried (logged in the job) and the create completes', async () => {
      fake.rateLimitNext(2);
      const r = await create('cloud-3');
      expect(r.code, r.stderr).toBe(0);
      expect(fake.requests.filter((x) => x.status === 429)).toHaveLength(2);
      const logs = await cli(['job', 'logs', (JSON.parse(r.stdout) as { id: string }).id]);
      expect(logs.stdout).toMatch(/rate limited \(RateLimit-Remaining 0\): retrying in/);
    });

    it('a create whose answer is lost is not repeated: the server is found by name, no duplicate', async () => {
      fake.loseNextCreateAnswer();
      const posts = fake.createBodies.length;
      const r = await create('cloud-4');
      expect(r.code, r.stderr).toBe(0);
      expect(fake.createBodies.length - posts).toBe(1);
      expect([...fake.servers.values()].filter((s) => s.name === 'cloud-4')).toHaveLength(1);
      // A retry of a finished create is refused by name locally, never sent.
      const again = await create('cloud-4');
      expect(again.code).toBe(4);
      expect(fake.createBodies.length - posts).toBe(1);
    });

    it('a server presenting another host key than the injected one is refused before anything is sent', async () => {
      const r = await create('rogue', 'evil');
      expect(r.code).toBe(12);
      const machine = [...mitm.servers.values()].find((s) => s.name === 'rogue')!.machine!;
      expect(r.stderr).toContain(
        `rogue presented host key ${fingerprintOf(machine.hostKey)}, not the key infrakt injected: refused`,
      );
      const log = readFileSync(machine.sshd!.logPath, 'utf8');
      expect(log).not.toMatch(/Accepted publickey/);
      const show = JSON.parse((await cli(['server', 'show', 'rogue', '--json'])).stdout) as { status: string };
      expect(show.status).toBe('host_key_mismatch');
      const destroyed = await cli(['server', 'destroy', 'rogue', '--force']);
      expect(destroyed.code, destroyed.stderr).toBe(0);
    });

    it('server destroy asks for the name, deletes at the provider (machine gone), then forgets it locally', async () => {
      const noTty = await cli(['server', 'destroy', 'cloud-1']);
      expect(noTty.code).toBe(7);
      const machine = [...fake.servers.values()].find((s) => s.name === 'cloud-1')!.machine!;
      const r = await cli(['server', 'destroy', 'cloud-1', '--force']);
      expect(r.code, r.stderr).toBe(0);
      expect([...fake.servers.values()].map((s) => s.name)).not.toContain('cloud-1');
      expect(machine.sshd!.pid()).toBeDefined();
      const list = JSON.parse((await cli(['server', 'list', '--json'])).stdout) as { name: string }[];
      expect(list.map((s) => s.name)).toEqual(['cloud-2', 'cloud-3', 'cloud-4']);
      const plain = await cli(['server', 'destroy', 'nope', '--force']);
      expect(plain.code).toBe(3);
      for (const n of ['cloud-2', 'cloud-3', 'cloud-4'])
        expect((await cli(['server', 'destroy', n, '--force'])).code).toBe(0);
      expect(fake.servers.size).toBe(0);
      expect((await cli(['provider', 'remove', 'hc'])).code).toBe(0);
    });
  },
);
