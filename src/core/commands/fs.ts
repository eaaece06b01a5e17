import { and, type Cmd, exec, not, or, pipe, quietErr, raw, toFile } from '../cmd/index.js';

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

/**
 * Writes several files from one stdin (one transfer): each file's content base64-encoded on a line of its own,
 * in `files` order (see `filesPayload`). Each goes to a temp file in its directory (umask 077: never readable
 * by others), gets its mode and replaces the target in one rename; on any failure the temp files are removed
 * and the status is non-zero. The content is read by the shell's `read` (no argv: secrets stay off process lists).
 */
export function writeFilesFromStdin(files: readonly { path: string; mode: number; tmp: string }[]): Cmd {
  if (files.length === 0) throw new Error('writeFilesFromStdin needs a file');
  const octal = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');
  const each = files.map((f) => {
    if (!f.path.startsWith('/') || !f.tmp.startsWith('/')) throw new Error(`not an absolute path: ${f.path}`);
    return and(
      // raw: a builtin read into a shell variable, then the variable as printf's argument (builtin: no argv).
      raw('IFS= read -r __f'),
      toFile(pipe(raw('printf \'%s\' "$__f"'), exec('base64', '-d')), f.tmp),
      exec('chmod', octal(f.mode), f.tmp),
      exec('mv', '-f', '--', f.tmp, f.path),
    );
  });
  return or(and(exec('umask', '077'), ...each), and(exec('rm', '-f', '--', ...files.map((f) => f.tmp)), exec('false')));
}

/** The stdin of `writeFilesFromStdin`: each content base64-encoded, one line each, in the same order. */
export function filesPayload(contents: readonly (string | Uint8Array)[]): string {
  return contents.map((c) => `${Buffer.from(c).toString('base64')}\n`).join('');
}
