// Every shipped catalog entry: the manifest validates, renders with sample inputs, and what would run on a
// server (the template, and the release + services files the deploy engine splits it into) passes
// `docker compose config` (v2, no pull, no engine needed); no published port outside 127.0.0.1; no `latest`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCatalogDir, type CatalogEntry, loadCatalog } from '../../src/adapters/catalog/catalog-dir.js';
import { pinnedImage } from '../../src/core/catalog/compose-template.js';
import { resolveInputs } from '../../src/core/catalog/inputs.js';
import { renderEntry } from '../../src/core/catalog/render.js';
import { parseComposeFile, splitCompose } from '../../src/core/plans/deploy-compose.js';
import { composeCommand, run } from '../harness/docker.js';
import { removeDir, tempDir } from '../helpers/state.js';

const cat = loadCatalog([{ path: builtinCatalogDir(), source: 'builtin' }]);
const compose = cat.entries.filter((e) => e.manifest.kind === 'compose');
const fill = (b: Uint8Array) => b.map(() => Math.floor(Math.random() * 256));

/** Values for required inputs that have no default (by entry, then by type). */
const SAMPLES: Record<string, string> = {
  'authentik.admin_email': 'admin@example.com',
  'authentik.email_host': 'smtp.example.com',
  'authentik.email_from': 'auth@example.com',
  'cloudflared.token': 'eyJhIjoiMTIzIiwidCI6IjQ1NiIsInMiOiJzZWNyZXQifQ'.padEnd(80, 'x'),
  'vaultwarden.smtp_host': 'smtp.example.com',
  'vaultwarden.smtp_from': 'vault@example.com',
  'restic-backup.repository': '/srv/backups/restic',
};

/** Values with every optional branch switched on, so conditional inputs get rendered too. */
function sampleValues(e: CatalogEntry): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of e.manifest.inputs) {
    const key = `${e.manifest.id}.${i.name}`;
    if (SAMPLES[key]) out[i.name] = SAMPLES[key];
    else if (i.type === 'boolean' && i.default === 'false' && e.manifest.inputs.some((x) => x.visible_if?.[i.name]))
      out[i.name] = 'true';
  }
  return out;
}

type ConfigJson = { services: Record<string, { image?: string; ports?: { host_ip?: string; published?: string }[] }> };

describe('shipped catalog', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    const r = await run(composeCommand('v2')[0], [...composeCommand('v2').slice(1), 'version'], { check: false });
    if (r.code !== 0) throw new Error('docker compose (v2) is needed: sudo bash scripts/test-setup.sh');
  });
  afterAll(() => removeDir(dir));

  it('has at least 20 valid entries and the five stacks, and no refused file', () => {
    expect(cat.problems).toEqual([]);
    expect(cat.entries.length).toBeGreaterThanOrEqual(20);
    expect(cat.entries.filter((e) => e.manifest.kind === 'host').length).toBeGreaterThanOrEqual(5);
    expect(cat.stacks.map((s) => s.stack.id).sort()).toEqual(['edge', 'monitoring', 'ops', 'remote-access', 'sso']);
    const ids = new Set(cat.entries.map((e) => e.manifest.id));
    for (const s of cat.stacks)
      for (const e of s.stack.entries) expect(ids.has(e.entry), `${s.stack.id} → ${e.entry}`).toBe(true);
  });

  it('entries that touch the Docker socket declare it, and go through the socket proxy', () => {
    const socketUsers = compose.filter((e) => /docker\.sock/.test(e.template ?? '')).map((e) => e.manifest.id);
    expect(socketUsers.sort()).toEqual(['dozzle', 'glances', 'portainer', 'socket-proxy', 'watchtower']);
    for (const id of socketUsers) {
      const e = compose.find((x) => x.manifest.id === id)!;
      expect(e.manifest.docker_socket?.access, id).toBe('proxy');
      if (id !== 'socket-proxy')
        expect(e.template, id).toMatch(/DOCKER_HOST: tcp:\/\/socket-proxy:2375|-H", "tcp:\/\/socket-proxy:2375/);
    }
  });

  it.each(compose.map((e) => [e.manifest.id, e] as const))(
    '%s: renders and passes docker compose config (template, release and services files)',
    async (id, e) => {
      const m = e.manifest;
      const resolved = resolveInputs(m.inputs, sampleValues(e), { fill });
      expect(resolved.issues, id).toEqual([]);
      const rendered = renderEntry(m, resolved.values, { app: id, server: 's1', domain: `${id}.example.com` });
      const work = join(dir, id);
      mkdirSync(work, { recursive: true });
      // The app's variables are written into the release's compose files (0600) by infrakt, which also resolves
      // `${VAR}` references: compose v1 and v2 parse .env files differently, so none is used.
      const env = new Map(Object.entries(rendered.env));
      const split = splitCompose({
        doc: parseComposeFile(e.template!),
        port: m.routes[0]!.port,
        hostPort: 20001,
        env,
        labels: { app: id, root: '/opt/infrakt', release: 1 },
        network: `${id}-svc-net`,
        servicesProject: `${id}-svc`,
        routedImage: `infrakt-app/${id}:r1`,
      });
      expect(split.service).toBe(m.routes[0]!.service);
      const files: [string, string][] = [
        ['template.yml', e.template!],
        ['release.yml', split.release],
      ];
      if (split.services) files.push(['services.yml', split.services]);
      const [bin, ...pre] = composeCommand('v2');
      for (const [name, text] of files) {
        writeFileSync(join(work, name), text);
        const r = await run(
          bin,
          [...pre, '--project-name', id, '--file', join(work, name), 'config', '--format', 'json'],
          {
            check: false,
            timeoutMs: 60_000,
            // The raw template refers to the entry's variables; every one must be among those the render
            // produced. The release and services files must resolve with none given.
            env: name === 'template.yml' ? { ...process.env, ...rendered.env } : process.env,
          },
        );
        expect(r.code, `${id}/${name}: ${r.stderr}`).toBe(0);
        // A variable compose could not resolve means a rendering gap (warnings go to stderr).
        expect(r.stderr, `${id}/${name}`).not.toMatch(/variable is not set/);
        const cfg = JSON.parse(r.stdout) as ConfigJson;
        for (const [svc, def] of Object.entries(cfg.services)) {
          expect(pinnedImage(def.image ?? ''), `${id}/${name}: ${svc} image ${def.image}`).toBe(true);
          for (const p of def.ports ?? [])
            expect(p.host_ip, `${id}/${name}: ${svc} publishes ${p.published}`).toBe('127.0.0.1');
        }
        // The template itself never carries a generated secret: values reach it only at deploy time.
        if (name === 'template.yml')
          for (const s of rendered.secretEnv) expect(text, `${id}/${name}`).not.toContain(rendered.env[s]);
      }
    },
  );
});
