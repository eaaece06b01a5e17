// App volume backups through the built CLI: a compose app with two named volumes on a harness sshd server.
// Backup into the server's local restic repository (containers paused meanwhile) and to an SFTP target, damage the
// volumes, `app restore` (stop, restore, start, health check): the files are back and served by the app again.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshdHost, startSshd } from '../harness/sshd.js';
import { tempDir } from '../helpers/state.js';
import { type DeployEnv, deployEnv, docker, rand, removeAppImages } from './deploy-harness.js';

interface Job<R> {
  status: string;
  result: R;
  steps: { name: string; detail: string | null }[];
}

describe('app volume backups (built CLI, sshd, Docker)', () => {
  let env: DeployEnv;
  let sftp: SshdHost;
  const app = `ikt-test-${rand()}`;
  const timings: Record<string, number> = {};
  const container = () => docker('ps', '-q', '--filter', `label=com.docker.compose.project=${app}-r1`);
  const sh = (script: string) => docker('exec', container(), 'sh', '-c', script);

  beforeAll(async () => {
    env = await deployEnv();
    sftp = await startSshd();
    const file = join(tempDir(), 'compose.yml');
    writeFileSync(
      file,
      [
        'services:',
        '  web:',
        '    image: infrakt-test/web:1',
        '    ports: ["3000"]',
        '    volumes: [files:/www/files, state:/srv/state]',
        'volumes:',
        '  files: {}',
        '  state: {}',
        '',
      ].join('\n'),
    );
    await env.ok(['app', 'create', '--server', env.server, '--name', app, '--compose-file', file, '--port', '3000']);
    await env.ok(['app', 'create', '--server', env.server, '--name', `${app}-novol`, '--image', 'infrakt-test/web:1']);
    await env.ok(['app', 'deploy', app]);
  }, 300_000);

  afterAll(async () => {
    removeAppImages(app);
    await sftp?.stop();
    await env?.close();
    process.stdout.write(`app-volume-backup timings (ms): ${JSON.stringify(timings)}\n`);
  }, 120_000);

  it('backs up both volumes into the local repository, pausing the containers meanwhile', async () => {
    sh('echo "precious $(date +%s%N)" > /www/files/a.txt && mkdir -p /srv/state/d && echo s1 > /srv/state/d/s.txt');
    const t0 = Date.now();
    const job = JSON.parse((await env.ok(['app', 'backup', app, '--json'])).stdout) as Job<{
      snapshotId: string;
      target: string | null;
      volumes: string[];
      pausedMs: number;
    }>;
    timings.localBackup = Date.now() - t0;
    expect(job.status).toBe('succeeded');
    expect(job.result.target).toBeNull();
    expect(job.result.volumes.sort()).toEqual([`${app}-svc_files`, `${app}-svc_state`]);
    expect(job.result.pausedMs).toBeGreaterThan(0);
    const push = job.steps.find((s) => s.name === 'push to local repository');
    expect(push?.detail).toMatch(/^snapshot [0-9a-f]{8}/);
    // The container runs (unpaused) again.
    expect(docker('inspect', '-f', '{{.State.Status}}', container())).toBe('running');
    const shown = JSON.parse((await env.ok(['app', 'show', app, '--json'])).stdout) as {
      backups: { local: { status: string; snapshotId: string } | null };
    };
    expect(shown.backups.local).toMatchObject({ status: 'ok', snapshotId: job.result.snapshotId });
  }, 300_000);

  it('restores a snapshot after the volumes were damaged: files back, app healthy', async () => {
    const before = sh('cat /www/files/a.txt');
    const list = JSON.parse((await env.ok(['app', 'backups', app, '--json'])).stdout) as {
      snapshots: { id: string; target: string | null }[];
    };
    expect(list.snapshots).toHaveLength(1);
    sh('rm /www/files/a.txt && echo junk > /www/files/b.txt && rm -r /srv/state/d');
    const refused = await env.cli(['app', 'restore', app, list.snapshots[0]!.id.slice(0, 8)]);
    expect(refused.code).toBe(7);
    expect(sh('ls /www/files')).toBe('b.txt');
    const t0 = Date.now();
    const r = await env.ok(['app', 'restore', app, list.snapshots[0]!.id.slice(0, 8), '--force']);
    timings.localRestore = Date.now() - t0;
    expect(r.stdout).toMatch(/is running and healthy/);
    expect(sh('ls /www/files')).toBe('a.txt');
    expect(sh('cat /www/files/a.txt')).toBe(before);
    expect(sh('cat /srv/state/d/s.txt')).toBe('s1');
    // Served by the app itself again, through its published port.
    const port = Number(docker('port', container(), '3000/tcp').split(':').at(-1));
    const served = await fetch(`http://127.0.0.1:${port}/files/a.txt`);
    expect((await served.text()).trim()).toBe(before);
  }, 300_000);

  it('pushes to an SFTP target and restores from it (found from the recorded run)', async () => {
    await env.ok([
      'backup-target',
      'add',
      'vault',
      '--sftp',
      `root@127.0.0.1:${sftp.port}:${join(sftp.root, 'repo')}`,
      '--key',
      sftp.keyPath,
    ]);
    sh('echo offsite-version > /www/files/a.txt');
    const t0 = Date.now();
    const job = JSON.parse((await env.ok(['app', 'backup', app, '--target', 'vault', '--json'])).stdout) as Job<{
      snapshotId: string;
      target: string;
    }>;
    timings.offsiteBackup = Date.now() - t0;
    expect(job.result.target).toBe('vault');
    const list = JSON.parse((await env.ok(['app', 'backups', app, '--json'])).stdout) as {
      snapshots: { id: string; target: string | null }[];
    };
    expect(list.snapshots.map((s) => s.target).sort()).toEqual([null, 'vault'].sort());
    sh('echo overwritten > /www/files/a.txt');
    await env.ok(['app', 'restore', app, job.result.snapshotId, '--force']);
    expect(sh('cat /www/files/a.txt')).toBe('offsite-version');
    const shown = JSON.parse((await env.ok(['app', 'show', app, '--json'])).stdout) as {
      backups: { offsite: { status: string; target: string } | null };
    };
    expect(shown.backups.offsite).toMatchObject({ status: 'ok', target: 'vault' });
  }, 300_000);

  it('a pre-backup hook runs in the app container first; a failing hook fails the backup clearly, nothing backed up', async () => {
    const snapshots = async () =>
      (JSON.parse((await env.ok(['app', 'backups', app, '--json'])).stdout) as { snapshots: unknown[] }).snapshots
        .length;
    // A "database dump" into a volume, the way an app with an embedded database would do it.
    const hook = 'echo "dump of $(hostname)" > /srv/state/dump.sql && echo dumped';
    await env.ok(['app', 'update', app, '--pre-backup-hook', hook]);
    expect(JSON.parse((await env.ok(['app', 'show', app, '--json'])).stdout).settings.preBackupHook).toBe(hook);
    const count = await snapshots();
    const ok = JSON.parse((await env.ok(['app', 'backup', app, '--json'])).stdout) as Job<{ snapshotId: string }>;
    expect(ok.status).toBe('succeeded');
    const names = ok.steps.map((s) => s.name);
    expect(names.indexOf('pre-backup hook')).toBeLessThan(names.indexOf('push to local repository'));
    expect(ok.steps.find((s) => s.name === 'pre-backup hook')?.detail).toMatch(/^exit 0 in/);
    // It ran in the app's own container: the file is in its volume, named after the container's host name.
    expect(sh('cat /srv/state/dump.sql')).toBe(`dump of ${sh('hostname')}`);
    expect(await snapshots()).toBe(count + 1);

    await env.ok(['app', 'update', app, '--pre-backup-hook', 'echo cannot reach the database >&2; exit 3']);
    const failed = await env.cli(['app', 'backup', app]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/the pre-backup hook of '.+' exited 3: no backup was made/);
    expect(await snapshots()).toBe(count + 1);
    expect(docker('inspect', '-f', '{{.State.Status}}', container())).toBe('running');
    const jobs = JSON.parse((await env.ok(['job', 'list', '--json'])).stdout) as {
      id: string;
      kind: string;
      status: string;
    }[];
    const last = jobs.find((j) => j.kind === 'app.backup')!;
    expect(last.status).toBe('failed');
    expect((await env.ok(['job', 'logs', last.id])).stdout).toContain('cannot reach the database');

    await env.ok(['app', 'update', app, '--pre-backup-hook', 'none']);
    expect(JSON.parse((await env.ok(['app', 'show', app, '--json'])).stdout).settings.preBackupHook).toBeNull();
  }, 300_000);

  it('refuses an app without named volumes and a bad snapshot id, changing nothing', async () => {
    const none = await env.cli(['app', 'backup', `${app}-novol`]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/not deployed|no named volumes/);
    const bad = await env.cli(['app', 'restore', app, '$(touch /tmp/x)', '--force']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a snapshot id/);
  }, 120_000);
});
