// `cluster create --encrypted`: the probe that asks each node's kernel for IPsec ESP with AES-GCM (builder, its
// exit codes through a real /bin/sh with a stand-in `ip`, the parser), the refusal naming the nodes, and the create
// job over recording executors: refused before any swarm init, or carried through to an encrypted overlay.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobRunner, type JobRunner } from '../../../src/adapters/jobs/runner.js';
import type { ServerRow } from '../../../src/adapters/store/schema.js';
import { render } from '../../../src/core/cmd/index.js';
import { asRoot } from '../../../src/core/commands/sudo.js';
import { espGcmProbe, parseEspGcmProbe } from '../../../src/core/commands/xfrm.js';
import { encryptionRefusal } from '../../../src/core/swarm/encryption-check.js';
import { listClusters } from '../../../src/services/clusters/clusters.js';
import { prepareCreateCluster } from '../../../src/services/clusters/create.js';
import { prepareAddNode } from '../../../src/services/clusters/nodes.js';
import { registerServer } from '../../../src/services/servers/servers.js';
import type { Ctx } from '../../../src/services/shared/context.js';
import { runPlan } from '../../../src/services/shared/job-plan.js';
import { RecordingExecutor } from '../../harness/recording-executor.js';
import { openTestState, removeDir, type TestState, tempDir } from '../../helpers/state.js';

const NOT_FOUND = 'RTNETLINK answers: Requested AEAD algorithm not found';
const XFRM =
  'ip -n "$ns" xfrm state add src 127.0.0.2 dst 127.0.0.3 proto esp spi 0x100 mode transport aead \'rfc4106(gcm(aes))\' 0x0102030405060708090a0b0c0d0e0f1011121314 128';

describe('the ESP AES-GCM probe', () => {
  it('is one sh -c with the namespace as its argument; sudo -n for a user other than root', () => {
    const probe = espGcmProbe('infrakt-esp-0a1b2c');
    const text = render(probe);
    expect(text.startsWith("sh -c 'ns=$1\nPATH=$PATH:/usr/sbin:/sbin\n")).toBe(true);
    expect(text.endsWith("' sh infrakt-esp-0a1b2c")).toBe(true);
    expect(text).toContain(XFRM.replace(/'/g, "'\\''"));
    // The EXIT trap is set before the namespace is added, and cleared when adding it failed.
    expect(text.indexOf('trap')).toBeLessThan(text.indexOf('ip netns add'));
    expect(render(asRoot(probe, 'root'))).toBe(text);
    expect(render(asRoot(probe, 'deploy'))).toMatch(/^sudo -n sh -c 'sh -c '\\''ns=\$1/);
    for (const bad of ['', 'Bad', 'x;reboot', 'a b', '-x', 'a'.repeat(41)]) expect(() => espGcmProbe(bad)).toThrow();
  });

  describe('through a real /bin/sh with a stand-in ip', () => {
    let dir: string;
    beforeEach(() => {
      dir = tempDir();
      // Records its argv, and fails `netns add` or `xfrm` as the environment says (as the kernel would).
      writeFileSync(
        join(dir, 'ip'),
        [
          '#!/bin/sh',
          `echo "$*" >> ${join(dir, 'log')}`,
          'case "$*" in',
          '  "netns add "*) [ -n "$FAIL_ADD" ] && { echo "mount --make-shared /run/netns failed: Operation not permitted" >&2; exit 1; } ;;',
          `  *" xfrm state add "*) [ -n "$FAIL_XFRM" ] && { echo "${NOT_FOUND}" >&2; exit 2; }; [ -n "$SLOW_XFRM" ] && sleep 2 ;;`,
          'esac',
          'exit 0',
        ].join('\n'),
      );
      chmodSync(join(dir, 'ip'), 0o755);
    });
    afterEach(() => removeDir(dir));
    const runProbe = (env: Record<string, string>) =>
      spawnSync('/bin/sh', ['-c', render(espGcmProbe('infrakt-esp-t1'))], {
        env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
        encoding: 'utf8',
      });
    const log = () => readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');

    it('exit 0 when the kernel takes the ESP state; the namespace is deleted', () => {
      const r = runProbe({});
      expect([r.status, r.stdout]).toEqual([0, 'esp-gcm: yes\n']);
      expect(log()).toEqual([
        'netns add infrakt-esp-t1',
        `-n infrakt-esp-t1 xfrm state add src 127.0.0.2 dst 127.0.0.3 proto esp spi 0x100 mode transport aead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f1011121314 128`,
        'netns del infrakt-esp-t1',
      ]);
    });

    it("exit 3 with the kernel's words when it refuses; the namespace is deleted", () => {
      const r = runProbe({ FAIL_XFRM: '1' });
      expect([r.status, r.stdout]).toEqual([3, `${NOT_FOUND}\n`]);
      expect(log().at(-1)).toBe('netns del infrakt-esp-t1');
      expect(parseEspGcmProbe({ exitCode: r.status!, stdout: r.stdout }, 'root')).toEqual({
        ok: false,
        lacksEspGcm: true,
        reason: `its kernel refused an ESP rfc4106(gcm(aes)) state (${NOT_FOUND})`,
      });
    });

    it('exit 5 when no namespace could be made, and then deletes nothing', () => {
      const r = runProbe({ FAIL_ADD: '1' });
      expect(r.status).toBe(5);
      expect(r.stdout).toMatch(/Operation not permitted/);
      expect(log()).toEqual(['netns add infrakt-esp-t1']);
    });

    it('a TERM while the kernel is asked still deletes the namespace', async () => {
      const child = execFileSync(
        '/bin/sh',
        [
          '-c',
          `${render(espGcmProbe('infrakt-esp-t2'))} & pid=$!; ` +
            `while ! grep -q xfrm ${join(dir, 'log')} 2>/dev/null; do sleep 0.05; done; kill -TERM $pid; wait $pid; echo "exit $?"`,
        ],
        { env: { PATH: `${dir}:/usr/bin:/bin`, SLOW_XFRM: '1' }, encoding: 'utf8', timeout: 20_000 },
      );
      expect(child).toMatch(/exit 130/);
      expect(log().at(-1)).toBe('netns del infrakt-esp-t2');
    });
  });

  it('reads every exit code: no ip, sudo refused, anything else', () => {
    expect(parseEspGcmProbe({ exitCode: 0, stdout: 'esp-gcm: yes\n' }, 'root')).toEqual({ ok: true });
    expect(parseEspGcmProbe({ exitCode: 4, stdout: 'ip (iproute2) is not installed\n' }, 'root')).toMatchObject({
      ok: false,
      lacksEspGcm: false,
      reason: expect.stringContaining('iproute2'),
    });
    expect(parseEspGcmProbe({ exitCode: 1, stdout: '' }, 'deploy')).toEqual({
      ok: false,
      lacksEspGcm: false,
      reason: 'deploy cannot run the check as root (sudo -n refused)',
    });
    expect(parseEspGcmProbe({ exitCode: 137, stdout: '' }, 'root')).toEqual({
      ok: false,
      lacksEspGcm: false,
      reason: 'the check exited 137',
    });
  });
});

describe('the refusal', () => {
  const lacks = parseEspGcmProbe({ exitCode: 3, stdout: `${NOT_FOUND}\n` }, 'root');

  it('is nothing when every node can', () => {
    expect(
      encryptionRefusal([
        { server: 'a', result: { ok: true } },
        { server: 'b', result: { ok: true } },
      ]),
    ).toBeNull();
  });

  it('names every node that cannot, says the shared reason once, and hints at the modules or no --encrypted', () => {
    const e = encryptionRefusal([
      { server: 'node1', result: lacks },
      { server: 'node2', result: { ok: true } },
      { server: 'node3', result: lacks },
    ])!;
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toBe(
      "the overlay network cannot be encrypted: Docker's encrypted overlay needs IPsec ESP with AES-GCM (rfc4106(gcm(aes))) in every node's kernel, and node1, node3 lack it: its kernel refused an ESP rfc4106(gcm(aes)) state (RTNETLINK answers: Requested AEAD algorithm not found)",
    );
    expect(e.hint).toBe(
      'on node1, node3, load the IPsec modules (modprobe -a xfrm_user esp4 gcm aes) or use a kernel with ESP and AES-GCM; or create the cluster without --encrypted (the overlay is then not encrypted between nodes)',
    );
  });

  it('says each reason per node when they differ', () => {
    const e = encryptionRefusal([
      { server: 'm1', result: lacks },
      { server: 'w1', result: parseEspGcmProbe({ exitCode: 1, stdout: '' }, 'deploy') },
    ])!;
    expect(e.message).toMatch(
      /m1, w1 lack it or could not be checked: m1: its kernel refused .*; w1: deploy cannot run/,
    );
    expect(e.hint).toMatch(
      /^on m1, load the IPsec modules .*; let the check run as root .*; or create the cluster without --encrypted/,
    );
  });
});

describe('cluster create --encrypted (recording executors)', () => {
  let state: TestState;
  let jobs: JobRunner;
  let nodes: Map<string, RecordingExecutor>;
  let ctx: Ctx;
  const info = JSON.stringify({ swarm: { LocalNodeState: 'inactive', ControlAvailable: false }, version: '20.10.24' });

  beforeEach(async () => {
    state = openTestState();
    jobs = createJobRunner({ store: state.ctx.store, clock: { now: () => new Date() }, actor: 'tester' });
    nodes = new Map();
    ctx = { ...state.ctx, jobs, connect: async (s: ServerRow) => nodes.get(s.name)! };
    for (const [i, name] of ['m1', 'w1', 'w2'].entries()) {
      await registerServer(ctx, { name, host: `10.9.0.${i + 1}`, root: '/srv/ikt', user: i === 2 ? 'deploy' : 'root' });
      nodes.set(name, new RecordingExecutor().on('docker info', { stdout: info }));
    }
  });
  afterEach(async () => {
    jobs.close();
    await state.close();
  });

  it('asks every node in the same round trip as docker info; one that cannot refuses the create, nothing changes', async () => {
    nodes.get('w1')!.on('xfrm state add', { exitCode: 3, stdout: `${NOT_FOUND}\n` });
    nodes.get('w2')!.on('xfrm state add', { exitCode: 3, stdout: `${NOT_FOUND}\n` });
    const plan = await prepareCreateCluster(ctx, {
      name: 'sec',
      manager: 'm1',
      workers: ['w1', 'w2'],
      settings: { encrypted: true },
    });
    const err = await runPlan(ctx, plan).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('and w1, w2 lack it: its kernel refused'),
      hint: expect.stringContaining('without --encrypted'),
    });
    for (const [name, ex] of nodes) {
      expect(ex.batches, name).toBe(1);
      expect(ex.commands.length, name).toBe(2);
      expect(ex.commands.join('\n')).not.toMatch(/swarm init|swarm\/join|network create|swarm leave/);
    }
    // The probe runs as root: through sudo -n for the server whose SSH user is not root.
    expect(nodes.get('w2')!.commands[1]).toMatch(/^sudo -n sh -c 'sh -c '\\''ns=\$1/);
    expect(nodes.get('m1')!.commands[1]).toMatch(/^sh -c 'ns=\$1/);
    expect(nodes.get('m1')!.commands[1]).toMatch(/' sh infrakt-esp-[0-9a-f]{12}$/);
    expect(await listClusters(ctx)).toEqual([]);
  });

  it('every node can: the overlay is created with --opt encrypted and shown as encrypted', async () => {
    nodes.get('m1')!.on('docker network inspect', { exitCode: 1 });
    const plan = await prepareCreateCluster(ctx, {
      name: 'sec',
      manager: 'm1',
      settings: { encrypted: true, proxyImage: '127.0.0.1:5000/caddy:2' },
    });
    const view = await runPlan(ctx, plan);
    expect(view.encrypted).toBe(true);
    expect(nodes.get('m1')!.commands).toContain(
      "docker network create --driver overlay --attachable --opt encrypted --label 'infrakt.cluster=1' infrakt-sec",
    );
    const job = await jobs.get(view.jobId);
    expect(job.steps.find((s) => s.name === 'check nodes')?.detail).toBe(
      '1 node(s) free; IPsec ESP with AES-GCM on every node',
    );
  });

  it('without --encrypted the kernel is not asked', async () => {
    nodes.get('m1')!.on('docker network inspect', { exitCode: 1 });
    await runPlan(ctx, await prepareCreateCluster(ctx, { name: 'plain', manager: 'm1' }));
    expect(nodes.get('m1')!.commands.join('\n')).not.toContain('xfrm');
  });

  it('add-node to an encrypted cluster asks the new node first and refuses it before any token is read', async () => {
    await prepareCreateCluster(ctx, { name: 'sec', manager: 'm1', settings: { encrypted: true } });
    await ctx.store.db.updateTable('clusters').set({ status: 'active' }).execute();
    const active = JSON.stringify({
      swarm: { NodeID: 'id-m1', LocalNodeState: 'active', ControlAvailable: true, Cluster: { ID: 'c1' } },
      version: '20.10.24',
    });
    const leader = JSON.stringify({
      ID: 'id-m1',
      Hostname: 'm1',
      Status: 'Ready',
      ManagerStatus: 'Leader',
      Self: true,
    });
    nodes.set(
      'm1',
      new RecordingExecutor().on(/docker info .*&& docker node ls/, { stdout: `${active}\n${leader}\n` }),
    );
    nodes.get('w1')!.on('xfrm state add', { exitCode: 3, stdout: `${NOT_FOUND}\n` });
    const plan = await prepareAddNode(ctx, 'sec', 'w1');
    expect(plan.spec.plannedSteps).toEqual([
      'connect to a manager',
      'check w1 for the encrypted overlay',
      'read join token',
      'open swarm ports to members',
      'join w1',
    ]);
    const err = await runPlan(ctx, plan).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('and w1 lacks it'),
      hint: expect.stringContaining("or add a server that can: the overlay of 'sec' is encrypted"),
    });
    expect(nodes.get('m1')!.commands.join('\n')).not.toContain('join-token');
    expect(nodes.get('w1')!.commands.join('\n')).not.toMatch(/swarm\/join|ufw/);
    expect((await listClusters(ctx))[0]!.nodes.map((n) => n.server)).toEqual(['m1']);
  });
});
