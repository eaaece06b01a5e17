import { and, type Cmd, exec, not, or, quietErr } from '../cmd/index.js';

/** `mkdir -p` with an explicit mode for the leaf (the app dir holds `.env`: 0700). */
export const mkdirp = (path: string, mode?: number): Cmd =>
  mode === undefined
    ? exec('mkdir', '-p', path)
    : and(exec('mkdir', '-p', path), exec('chmod', mode.toString(8).padStart(3, '0'), path));

/** `rm -rf` refuses obviously dangerous targets: a path must be absolute and at least two levels deep. */
export function rmrf(path: string): Cmd {
  const depth = path.split('/').filter(Boolean).length;
  if (!path.startsWith('/') || depth < 2 || path.split('/').includes('..')) {
    throw new Error(`refusing rm -rf on ${path}`);
  }
  return exec('rm', '-rf', '--', path);
}

export const mv = (from: string, to: string): Cmd => exec('mv', '-f', '--', from, to);
export const cp = (from: string, to: string): Cmd => exec('cp', '-p', '--', from, to);
export const testFile = (path: string): Cmd => exec('test', '-f', path);
export const testDir = (path: string): Cmd => exec('test', '-d', path);
/** Exit 0 when the file exists; its content on stdout. */
export const cat = (path: string): Cmd => exec('cat', '--', path);
/** Names in a directory, one a line (nothing, exit 0, when it does not exist). */
export const listDir = (path: string): Cmd => or(and(testDir(path), exec('ls', '-1', '--', path)), exec('true'));
/** Copies a file if it exists (for "keep the previous config" before a swap). */
export const cpIfExists = (from: string, to: string): Cmd => or(not(testFile(from)), cp(from, to));
/** Removes a file, silent when missing. */
export const rmFile = (path: string): Cmd => quietErr(exec('rm', '-f', '--', path));

/** Removes everything in a directory but one entry (`app destroy` keeps the bind mounts' `mounts/`). */
export function rmrfExcept(dir: string, keep: string): Cmd {
  rmrf(dir); // same safety checks on the directory
  if (!/^[A-Za-z0-9._-]+$/.test(keep)) throw new Error(`invalid name to keep: ${keep}`);
  // Then the kept entry and the directory go too when they are empty (rmdir removes only empty ones), so an
  // app that never had data leaves no directory behind.
  const rmdirIfEmpty = (d: string) => or(quietErr(exec('rmdir', '--', d)), exec('true'));
  return or(
    not(testDir(dir)),
    and(
      exec('find', dir, '-mindepth', '1', '-maxdepth', '1', '!', '-name', keep, '-exec', 'rm', '-rf', '--', '{}', '+'),
      rmdirIfEmpty(`${dir}/${keep}`),
      rmdirIfEmpty(dir),
    ),
  );
}
