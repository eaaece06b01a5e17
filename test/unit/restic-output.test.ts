// Parsers of restic's JSON output (shapes as restic 0.14 prints them) and of ssh-keyscan.
import { describe, expect, it } from 'vitest';
import {
  classifyResticFailure,
  parseBackupSummary,
  parseForget,
  parseKeyscan,
  parseLs,
  parseSnapshots,
} from '../../src/core/commands/restic-output.js';

const ID = '32289c4a990ff7247e34df5c40f93aa2d0624c4d05254a9bab06f55625d57e43';

describe('restic output', () => {
  it('backup summary: the snapshot id from the last summary line; none when restic stopped early', () => {
    const out = [
      '{"message_type":"status","percent_done":0.5}',
      '{"message_type":"summary","files_new":2,"data_added":360,"total_bytes_processed":6,"total_duration":0.2,"snapshot_id":"32289c4a"}',
    ].join('\n');
    expect(parseBackupSummary(out)).toEqual({
      snapshotId: '32289c4a',
      filesNew: 2,
      dataAdded: 360,
      bytesProcessed: 6,
      seconds: 0.2,
    });
    expect(parseBackupSummary('{"message_type":"status"}\n')).toBeNull();
    expect(parseBackupSummary('{"message_type":"summary","snapshot_id":"$(x)"}')).toBeNull();
    expect(parseBackupSummary('not json')).toBeNull();
  });

  it('snapshots: id, short id, time, host, tags, paths; junk ignored', () => {
    const out = JSON.stringify([
      {
        time: '2026-01-01T03:00:00Z',
        paths: ['/a'],
        hostname: 'prod-1',
        tags: ['infrakt', 'db:x'],
        id: ID,
        short_id: '32289c4a',
      },
      { id: 'nope' },
      7,
    ]);
    expect(parseSnapshots(out)).toEqual([
      {
        id: ID,
        shortId: '32289c4a',
        time: '2026-01-01T03:00:00Z',
        host: 'prod-1',
        tags: ['infrakt', 'db:x'],
        paths: ['/a'],
      },
    ]);
    expect(parseSnapshots('')).toEqual([]);
    expect(parseSnapshots('{"a":1}')).toEqual([]);
  });

  it('ls: nodes only', () => {
    const out = [
      `{"time":"t","id":"${ID}","struct_type":"snapshot"}`,
      '{"name":"f","type":"file","path":"/x/f","size":6,"struct_type":"node"}',
      '{"name":"x","type":"dir","path":"/x","struct_type":"node"}',
    ].join('\n');
    expect(parseLs(out)).toEqual([
      { path: '/x/f', type: 'file', size: 6 },
      { path: '/x', type: 'dir', size: 0 },
    ]);
  });

  it('forget: kept and removed ids over all groups', () => {
    const out = JSON.stringify([
      { keep: [{ id: 'a1' }], remove: [{ id: 'b1' }, { id: 'b2' }] },
      { keep: [{ id: 'a2' }], remove: null },
    ]);
    expect(parseForget(`${out}\n`)).toEqual({ kept: ['a1', 'a2'], removed: ['b1', 'b2'] });
    expect(parseForget('')).toEqual({ kept: [], removed: [] });
  });

  it.each([
    [1, 'Fatal: wrong password or no key found', 'wrong-password'],
    [12, '', 'wrong-password'],
    [1, 'Host key verification failed.', 'host-key'],
    [1, 'unable to create lock in backend: repository is already locked by PID 1', 'locked'],
    [1, 'root@h: Permission denied (publickey).', 'auth'],
    [1, 'Fatal: unable to open config file: ... Is there a repository at the following location?', 'no-repository'],
    [1, 'dial tcp 127.0.0.1:9: connect: connection refused', 'unreachable'],
    [1, 'something else', 'other'],
  ] as const)('classifies exit %i "%s" as %s', (code, stderr, kind) => {
    expect(classifyResticFailure(code, stderr)).toBe(kind);
  });

  it('keyscan: key lines only, ed25519 first, deduplicated, nothing odd', () => {
    const out = [
      '# nas:22 SSH-2.0-OpenSSH_9.2',
      '[nas]:2222 ssh-rsa AAAAB3Nza==',
      '[nas]:2222 ssh-ed25519 AAAAC3Nz',
      '[nas]:2222 ssh-ed25519 AAAAC3Nz',
      '[nas]:2222 ecdsa-sha2-nistp256 AAAAE2Vj',
      '[nas]:2222 ssh-dss AAAAB3NzaC1kc3M',
      '[nas]:2222 ssh-ed25519 $(touch x)',
    ].join('\n');
    expect(parseKeyscan(out)).toEqual(['ssh-ed25519 AAAAC3Nz', 'ecdsa-sha2-nistp256 AAAAE2Vj', 'ssh-rsa AAAAB3Nza==']);
  });
});
