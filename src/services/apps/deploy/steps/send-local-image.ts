import { saveLocalImage } from '../../../../adapters/local/docker-image.js';
import * as docker from '../../../../core/commands/docker.js';
import { InfraktError } from '../../../../core/errors.js';
import { commandFailed } from '../../../../core/executor.js';
import type { ReleaseStep } from '../release-run.js';

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const PROGRESS_EVERY_MS = 1_000;

/**
 * `send local image` (`app deploy --local-image`): `docker save | gzip` on this machine streamed over the
 * job's SSH connection into `docker load` on the server, with progress — unless the server already has that
 * very image (same id). The deploy then goes on as for any image.
 */
export const sendLocalImage: ReleaseStep = async (run, _step, s) => {
  const img = run.req.localImage;
  if (!img) throw new InfraktError('INTERNAL', 'send local image ran without a local image');
  const there = await run.ex.run(docker.imageId(img.ref));
  if (there.exitCode === 0 && there.stdout.trim() === img.id) {
    return s.unchanged(`${img.ref} (${img.id.slice(7, 19)}) is already on the server`);
  }
  const started = Date.now();
  const archive = saveLocalImage(img.ref, run.job.signal);
  let lastPct = -10;
  const report = () => {
    const pct = img.size > 0 ? Math.min(100, Math.floor((archive.bytesRead() / img.size) * 100)) : 0;
    s.detail(`${mb(archive.bytesOut())} sent, ${pct}% of ${mb(img.size)}`);
    if (pct >= lastPct + 10) {
      lastPct = pct;
      s.log(`${pct}% of ${img.ref} read, ${mb(archive.bytesOut())} compressed sent`);
    }
  };
  const timer = setInterval(report, PROGRESS_EVERY_MS);
  try {
    const load = docker.load();
    const r = await run.ex.runWithInput(load, archive.stream, { signal: run.job.signal });
    if (r.exitCode !== 0) throw commandFailed(run.ex.target, load, r, 'docker load (local image)');
    // The last progress line (a transfer shorter than one interval would otherwise show none).
    report();
    for (const line of r.stdout.split('\n').filter(Boolean)) s.log(line);
  } finally {
    clearInterval(timer);
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  s.detail(`${img.ref}: ${mb(archive.bytesRead())} as ${mb(archive.bytesOut())} gzip in ${secs} s`);
};
