// Host entries of the catalog in infrakt.yaml, end to end with the built CLI on a real systemd VPS (the
// fresh-VPS container, reached over SSH): plan shows the install (the secret input as a key only), apply runs the
// installer as a job, a re-plan is clean, a changed input reinstalls although check.sh still passes, a file
// removed on the server shows as drift through check.sh and is put back, export round-trips without the secret,
// and --prune runs uninstall.sh where the entry has one and leaves the other with a warning.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cleanupHomes, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { shouldRunDockerTests } from '../harness/docker.js';
import { getClientKeys } from '../harness/sshd.js';
import { startVps, type Vps, docker as vpsDocker } from '../harness/vps/start-vps.js';
import { removeDir, tempDir } from '../helpers/state.js';

const runIt =
  (await shouldRunDockerTests()) &&
  (process.env.CI === 'true' || (await vpsDocker(['image', 'inspect', 'infrakt-test/vps:trixie'])).code === 0);

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'catalog');
const rand = () => Math.random().toString(36).slice(2, 8);
const TOKEN = `tok-${rand()}-secret`;

describe.skipIf(!runIt)('inventory: host entries (built CLI, systemd VPS)', { timeout: 600_000 }, () => {
  let vps: Vps;
  let home: string;
  let dir: string;
  const marker = `inv-${rand()}`;
  const conf = `/var/tmp/ikt-hostconf-${marker}`;
  const timings: Record<string, number> = {};
  const file = () => join(dir, 'infrakt.yaml');
  const cli = async (label: string, args: string[]) => {
    const t0 = Date.now();
    const withDir = args[0] === 'catalog' ? args : [...args, '--catalog-dir', FIXTURES];
    const r = await runCli(withDir, { home, timeoutMs: 300_000 });
    timings[label] = Date.now() - t0;
    return r;
  };
  const write = (o: { content?: string; hosts?: boolean } = {}) =>
    writeFileSync(
      file(),
      stringify({
        version: 1,
        servers: { vps: { host: vps.ip, key: getClientKeys().ed25519 } },
        ...(o.hosts === false
          ? {}
          : {
              catalog: {
                conf: {
                  server: 'vps',
                  entry: 'hostconf',
                  inputs: { marker, content: o.content ?? 'first', token: 'secret:conf-token' },
                },
                codes: { server: 'vps', entry: 'hostcodes', inputs: { mode: 'ok', marker } },
              },
            }),
      }),
    );
  const onVps = async (script: string) => (await vps.sh(script)).stdout.trim();

  beforeAll(async () => {
    vps = await startVps({ publicKey: readFileSync(`${getClientKeys().ed25519}.pub`, 'utf8') });
    home = makeInfraktHome();
    dir = tempDir('ikt-test-inv-host-');
    const s = await runCli(['secret', 'set', 'conf-token'], { home, input: TOKEN });
    expect(s.code, s.stderr).toBe(0);
    write();
  }, 240_000);

  afterAll(async () => {
    if (Object.keys(timings).length) console.log(`inventory host timings (ms): ${JSON.stringify(timings)}`);
    await vps?.stop();
    cleanupHomes();
    if (dir) removeDir(dir);
  }, 120_000);

  it('plan shows both installs in order after the server (the secret input as a key only)', async () => {
    const r = await cli('plan-initial', ['plan', '-f', file()]);
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect(r.stdout).toMatch(/\+ server +vps/);
    expect(r.stdout).toMatch(/\+ host-entry codes +entry hostcodes 1; inputs\.mode ok; inputs\.marker inv-/);
    expect(r.stdout).toMatch(
      /\+ host-entry conf +entry hostconf 1; inputs\.marker inv-\w+; inputs\.content first; inputs\.token \(set\)/,
    );
    expect(r.stdout.indexOf('server ')).toBeLessThan(r.stdout.indexOf('host-entry'));
    expect(r.stdout).not.toContain(TOKEN);
  });

  it('apply runs the installers as jobs; a second plan shows no changes', async () => {
    const r = await cli('apply', ['apply', '-f', file(), '-y']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/✓ vps: \+ host-entry conf — hostconf 1 installed/);
    expect(r.stdout).toMatch(/✓ vps: \+ host-entry codes — hostcodes 1 installed/);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(await onVps(`cat ${conf}.conf; cat ${conf}.runs`)).toBe(`content=first\ntoken=${TOKEN}\n1`);
    const installed = JSON.parse((await cli('installed', ['catalog', 'installed', '--json'])).stdout) as {
      entry: string;
      kind: string;
      status: string;
    }[];
    expect(installed.filter((i) => i.kind === 'host').map((i) => `${i.entry}:${i.status}`)).toEqual([
      'hostcodes:installed',
      'hostconf:installed',
    ]);
    const again = await cli('plan-clean', ['plan', '-f', file()]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('no changes');
  });

  it('a changed input reinstalls, although check.sh still passes; the secret input is kept', async () => {
    write({ content: 'second' });
    const p = await cli('plan-changed', ['plan', '-f', file()]);
    expect(p.code, p.stdout + p.stderr).toBe(2);
    expect(p.stdout).toMatch(/~ host-entry conf +inputs\.content first → second; reinstall: install\.sh runs again/);
    expect(p.stdout).not.toMatch(/host-entry codes/);
    const r = await cli('apply-changed', ['apply', '-f', file(), '-y']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(await onVps(`cat ${conf}.conf; cat ${conf}.runs`)).toBe(`content=second\ntoken=${TOKEN}\n2`);
    expect((await cli('plan-after-change', ['plan', '-f', file()])).code).toBe(0);
  });

  it('check.sh failing on the server is drift: plan shows it, apply installs again', async () => {
    await onVps(`rm -f ${conf}.conf`);
    const p = await cli('plan-drift', ['plan', '-f', file()]);
    expect(p.code, p.stdout + p.stderr).toBe(2);
    expect(p.stdout).toMatch(/~ host-entry conf +check\.sh: not in place on the server: install\.sh runs again/);
    const r = await cli('apply-drift', ['apply', '-f', file(), '-y']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(await onVps(`cat ${conf}.conf; cat ${conf}.runs`)).toBe(`content=second\ntoken=${TOKEN}\n3`);
    // Nothing of the runs stays in the server's root.
    expect(await onVps('ls /opt/infrakt/catalog 2>/dev/null | wc -l')).toBe('0');
  });

  it('export writes them back without the secret input; plan on the export shows no changes', async () => {
    const out = join(dir, 'exported.yaml');
    const e = await cli('export', ['export', '-o', out]);
    expect(e.code, e.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/hostconf:\n {4}server: vps\n {4}entry: hostconf\n {4}version: "1"\n {4}inputs:\n/);
    expect(text).toContain('content: second');
    expect(text).toMatch(/hostcodes:\n {4}server: vps\n {4}entry: hostcodes/);
    expect(text).not.toContain('token');
    expect(text).not.toContain(TOKEN);
    const p = await cli('plan-export', ['plan', '-f', out]);
    expect(p.code, p.stdout + p.stderr).toBe(0);
  });

  it('--prune runs uninstall.sh where the entry has one; the other stays with a warning', async () => {
    write({ hosts: false });
    const p = await cli('plan-prune', ['plan', '-f', file()]);
    expect(p.code, p.stdout + p.stderr).toBe(2);
    expect(p.stdout).toMatch(/- host-entry hostconf +entry hostconf 1; runs its uninstall\.sh +\(needs --prune\)/);
    expect(p.stdout).toMatch(/! host entry hostcodes on vps is not in the file but has no uninstall script/);
    expect(p.stdout).not.toMatch(/- host-entry hostcodes/);
    const noPrune = await cli('apply-no-prune', ['apply', '-f', file(), '-y']);
    expect(noPrune.code, noPrune.stdout + noPrune.stderr).toBe(0);
    expect(await onVps(`cat ${conf}.conf`)).toContain('content=second');
    const r = await cli('apply-prune', ['apply', '-f', file(), '-y', '--prune']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/✓ vps: - host-entry hostconf — hostconf 1 uninstalled/);
    expect(await onVps(`test -e ${conf}.conf && echo present || echo gone`)).toBe('gone');
    const installed = JSON.parse((await cli('installed-after', ['catalog', 'installed', '--json'])).stdout) as {
      entry: string;
    }[];
    expect(installed.map((i) => i.entry)).toEqual(['hostcodes']);
    const last = await cli('plan-last', ['plan', '-f', file()]);
    expect(last.code, last.stdout).toBe(0);
    expect(last.stdout).toMatch(/! host entry hostcodes on vps is not in the file/);
  });
});
