import { randomBytes } from 'node:crypto';
import { type BatchPart, type BatchResult, batch, parseBatch } from '../../../../core/cmd/index.js';
import type { ComposeFlavour } from '../../../../core/commands/compose.js';
import * as compose from '../../../../core/commands/compose.js';
import * as docker from '../../../../core/commands/docker.js';
import * as fs from '../../../../core/commands/fs.js';
import { listensOn, portsInUse } from '../../../../core/commands/ports.js';
import { InfraktError } from '../../../../core/errors.js';
import { commandFailed } from '../../../../core/executor.js';
import { builtImage } from '../../../../core/plans/layout.js';
import { adminHostPort } from '../../../proxy/proxy-config.js';
import { cachedFacts, saveFacts } from '../../../servers/server-facts.js';
import { serverSettings } from '../../../servers/servers.js';
import { appLockName } from '../../../shared/lock-on-server.js';
import { choosePortFrom } from '../../release-port.js';
import { appSettings, composeImages } from '../../release-source.js';
import type { ReleaseStep } from '../release-run.js';

/**
 * `prepare server`: one round trip for what is independent (its docker calls side by side) — the app's server lock (its first attempt; a held
 * lock is then waited for or reported as before), the compose flavour, what runs and what is kept now (retired
 * and pruned once the new release serves), the ports in use (for the release's fixed loopback port), the
 * plan's directories, and for an image deploy the image's presence (tagged for the release when present).
 */
export const prepareServer: ReleaseStep = async (run, step, s) => {
  const { ctx, ex, server, app } = run;
  const lock = run.session.lockRequest();
  const imageCheck = app.app_type === 'image' && !run.req.from && app.image;
  // A compose deploy's images are checked here too ("validate compose file" then runs nothing when present).
  const composeSource = app.app_type === 'compose' && !run.req.from ? appSettings(app).compose?.content : undefined;
  const composeCheck = composeSource ? composeImages(composeSource) : [];
  const cached = cachedFacts(server);
  const parts: BatchPart[] = [
    { name: 'lock', cmd: lock.cmd, stdin: true },
    // The facts are asked for only when none are kept; the fingerprint says whether kept ones still hold.
    { name: 'fingerprint', cmd: docker.binariesFingerprint() },
    ...(cached
      ? []
      : [
          { name: 'flavour', cmd: compose.detectFlavour(), concurrent: true },
          { name: 'docker-version', cmd: docker.serverVersion(), concurrent: true },
        ]),
    // The docker calls (a tenth of a second each, more on a busy server) run side by side.
    {
      name: 'projects',
      cmd: docker.projectsByLabels({ [docker.LABEL_APP]: app.name, [docker.LABEL_ROOT]: server.root_dir }),
      concurrent: true,
    },
    { name: 'releases', cmd: fs.listDir(run.layout.releasesDir) },
    { name: 'ports', cmd: portsInUse(), concurrent: true },
    ...(step.cmds ?? []).map((cmd, i) => ({ name: `dirs-${i}`, cmd })),
    ...(imageCheck
      ? [
          {
            name: 'image',
            cmd: docker.inspectAndTag(imageCheck, builtImage(app.name, run.release)),
            concurrent: true,
          },
        ]
      : []),
    ...(composeCheck.length > 0
      ? [{ name: 'compose-images', cmd: docker.missingImages(composeCheck), concurrent: true }]
      : []),
  ];
  const nonce = randomBytes(12).toString('hex');
  const script = batch(parts, nonce);
  const r = await ex.run(script, { stdin: lock.stdin, signal: run.job.signal });
  const results = parseBatch(r.stdout, nonce);
  const part = (name: string): BatchResult => {
    const p = results.get(name);
    if (!p) throw commandFailed(ex.target, script, r, `prepare server (${name} did not run)`);
    return p;
  };
  // The lock first: nothing below may be trusted to stay true unless we hold it.
  await run.session.lock(part('lock'));
  for (let i = 0; i < (step.cmds?.length ?? 0); i++) {
    const d = part(`dirs-${i}`);
    if (d.exitCode !== 0)
      throw commandFailed(ex.target, step.cmds![i]!, { ...d, stderr: r.stderr, durationMs: r.durationMs }, step.name);
  }
  const fingerprint = part('fingerprint').stdout.trim();
  let flavour: ComposeFlavour;
  if (cached && fingerprint && cached.fingerprint === fingerprint) flavour = cached.flavour;
  else {
    // No facts kept, or Docker changed since (an upgrade, compose installed): learn them again and keep them.
    const f = results.get('flavour') ?? (await ex.run(compose.detectFlavour(), { signal: run.job.signal }));
    const version = results.get('docker-version') ?? (await ex.run(docker.serverVersion()));
    const detected = f.stdout.trim();
    if (f.exitCode !== 0 || (detected !== 'v1' && detected !== 'v2')) {
      throw new InfraktError('UNSUPPORTED', `neither 'docker compose' nor 'docker-compose' works on ${ex.target}`, {
        hint: 'provision the server first (infrakt server provision <name>) or install Docker Compose',
      });
    }
    flavour = detected;
    if (fingerprint)
      await saveFacts(ctx, server.id, { fingerprint, flavour, dockerVersion: version.stdout.trim() || null });
  }
  const projects = part('projects');
  if (projects.exitCode !== 0)
    throw commandFailed(
      ex.target,
      parts.find((p) => p.name === 'projects')!.cmd,
      { ...projects, stderr: r.stderr, durationMs: r.durationMs },
      'list releases',
    );
  run.flavour = flavour;
  run.before = { projects: lines(projects.stdout), releases: releaseNumbers(part('releases').stdout) };
  const ports = part('ports').stdout;
  run.hostPort = await choosePortFrom(ctx, server, ports);
  // The proxy switch then needs no probe of its own (a Caddy that stopped since fails the reload, undone).
  const admin = adminHostPort(serverSettings(server).proxy.adminAddress);
  if (ports.includes('LISTEN')) run.caddyRunning = listensOn(ports, admin.host, admin.port);
  if (imageCheck) run.inspectedImage = { ...part('image'), stderr: r.stderr };
  if (composeCheck.length > 0) run.checkedComposeImages = part('compose-images');
  s.detail(`${appLockName(app.name)} held; ${flavour === 'v2' ? 'docker compose (v2)' : 'docker-compose (v1)'}`);
};

const lines = (text: string) => [
  ...new Set(
    text
      .split('\n')
      .map((x) => x.trim())
      .filter(Boolean),
  ),
];

const releaseNumbers = (text: string) =>
  text
    .split('\n')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
