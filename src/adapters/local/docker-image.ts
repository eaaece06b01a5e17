// Images on the machine running infrakt, for `app deploy --local-image`: inspected, then read with
// `docker save`, gzip-compressed on the way, as a stream the SSH connection sends into `docker load`.
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { InfraktError } from '../../core/errors.js';

/** The local Docker client (`INFRAKT_DOCKER` overrides `docker` on the PATH). */
const dockerBin = (): string => process.env.INFRAKT_DOCKER || 'docker';

function runDocker(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(dockerBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new InfraktError('UNSUPPORTED', `cannot run ${dockerBin()} on this machine: ${e.code ?? e.message}`, {
          hint: '--local-image needs Docker here (or INFRAKT_DOCKER pointing at a docker client)',
        }),
      ),
    );
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export interface LocalImageInfo {
  readonly ref: string;
  /** `sha256:…` image id. */
  readonly id: string;
  /** Uncompressed size in bytes (what `docker save` reads, roughly). */
  readonly size: number;
}

/** Inspects an image of this machine; NOT_FOUND when Docker here does not have it. */
export async function inspectLocalImage(ref: string): Promise<LocalImageInfo> {
  const r = await runDocker(['image', 'inspect', '--format', '{{.Id}} {{.Size}}', ref]);
  const [id = '', size = ''] = r.stdout.trim().split(' ');
  if (r.code !== 0 || !id.startsWith('sha256:')) {
    throw new InfraktError('NOT_FOUND', `image ${ref} is not on this machine`, {
      hint: `build or pull it here first (docker image ls lists local images): ${r.stderr.trim().split('\n').at(-1) ?? ''}`,
    });
  }
  return { ref, id, size: Number(size) || 0 };
}

export interface ImageArchive {
  /** The gzip-compressed `docker save` archive; errors when `docker save` fails. */
  readonly stream: Readable;
  /** Uncompressed bytes read from `docker save` so far. */
  readonly bytesRead: () => number;
  /** Compressed bytes handed on so far. */
  readonly bytesOut: () => number;
}

/** `docker save REF | gzip` as a stream. A failing `docker save` makes the stream error (so the upload stops). */
export function saveLocalImage(ref: string, signal?: AbortSignal): ImageArchive {
  const child = spawn(dockerBin(), ['save', ref], { stdio: ['ignore', 'pipe', 'pipe'] });
  const gzip = createGzip();
  const out = new PassThrough();
  let read = 0;
  let written = 0;
  let stderr = '';
  const fail = (message: string) => out.destroy(new Error(message));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    read += d.length;
  });
  gzip.on('data', (d: Buffer) => {
    written += d.length;
  });
  child.once('error', (e) => fail(`cannot run ${dockerBin()} save: ${e.message}`));
  const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
  // The archive ends only once `docker save` exited 0: a failed save is an error, never a short archive.
  gzip.once('end', () => {
    void exited.then((code) =>
      code === 0 ? out.end() : fail(`docker save ${ref} exited ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`),
    );
  });
  const onAbort = () => {
    child.kill('SIGTERM');
    fail('cancelled');
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  out.once('close', () => signal?.removeEventListener('abort', onAbort));
  child.stdout.pipe(gzip).pipe(out, { end: false });
  return { stream: out, bytesRead: () => read, bytesOut: () => written };
}
