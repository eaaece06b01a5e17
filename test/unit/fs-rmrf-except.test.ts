// `app destroy` without --volumes: everything of the app directory goes but `mounts/` with data in it;
// an app that never had mount data leaves no directory. Run through a real /bin/sh on a temp dir.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { render } from '../../src/core/cmd/index.js';
import { rmrfExcept } from '../../src/core/commands/fs.js';
import { removeDir, tempDir } from '../helpers/state.js';

const root = tempDir();
afterAll(() => removeDir(root));
const run = (dir: string) => execFileSync('/bin/sh', ['-c', render(rmrfExcept(dir, 'mounts'))]);

describe('rmrfExcept', () => {
  it('keeps mounts/ with data in it, removes the rest', () => {
    const dir = join(root, 'apps', 'a');
    mkdirSync(join(dir, 'mounts', 'up'), { recursive: true });
    mkdirSync(join(dir, 'releases', '1'), { recursive: true });
    writeFileSync(join(dir, 'mounts', 'up', 'f'), 'x');
    writeFileSync(join(dir, 'compose.yml'), 'x');
    run(dir);
    expect(readdirSync(dir)).toEqual(['mounts']);
    expect(existsSync(join(dir, 'mounts', 'up', 'f'))).toBe(true);
  });

  it('removes the directory when there is nothing to keep (no mounts/, or an empty one)', () => {
    for (const withEmptyMounts of [false, true]) {
      const dir = join(root, 'apps', `b${withEmptyMounts}`);
      mkdirSync(join(dir, 'releases'), { recursive: true });
      if (withEmptyMounts) mkdirSync(join(dir, 'mounts'));
      run(dir);
      expect(existsSync(dir)).toBe(false);
    }
  });

  it('is fine with a directory that is already gone', () => {
    expect(() => run(join(root, 'apps', 'gone'))).not.toThrow();
  });
});
