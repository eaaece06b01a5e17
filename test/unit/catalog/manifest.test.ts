// biome-ignore-all lint/suspicious/noTemplateCurlyInString: manifests and templates use ${VAR} references
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadCatalog } from '../../../src/adapters/catalog/catalog-dir.js';
import { checkComposeTemplate, composeVars, pinnedImage } from '../../../src/core/catalog/compose-template.js';
import { manifestSchema } from '../../../src/core/catalog/manifest-schema.js';
import { renderEntry } from '../../../src/core/catalog/render.js';
import { removeDir, tempDir } from '../../helpers/state.js';

const base = {
  id: 'demo',
  name: 'Demo',
  version: '1.0.0',
  description: 'A demo entry',
  category: 'misc',
  icon: 'D',
  website: 'https://demo.example',
  kind: 'compose',
  routes: [{ service: 'web', port: 80 }],
};
const paths = (r: ReturnType<typeof manifestSchema.safeParse>) =>
  r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

describe('manifest schema: bad fields are refused with their path', () => {
  it('accepts a minimal compose entry and fills defaults', () => {
    const m = manifestSchema.parse(base);
    expect(m).toMatchObject({ inputs: [], outputs: [], timeout_seconds: 600, retries: { max: 2 } });
  });

  it('names the path of each bad field', () => {
    const r = manifestSchema.safeParse({
      ...base,
      id: 'Demo!',
      inputs: [
        { name: 'ok', type: 'string', label: 'Ok' },
        { name: 'p', type: 'password', label: 'P', default: 'admin' },
        { name: 's', type: 'select', label: 'S' },
        { name: 'n', type: 'number', label: 'N' },
        { name: 'g', type: 'integer', label: 'G', generate: 'password:20' },
        { name: 'd', type: 'port', label: 'D', default: 70000 },
      ],
    });
    const p = paths(r);
    expect(p).toContainEqual(expect.stringMatching(/^id: must be/));
    expect(p).toContain('inputs.1.default: a secret input cannot have a default: use generate');
    expect(p).toContain('inputs.2.allowed_values: a select input needs allowed_values');
    expect(p).toContainEqual(expect.stringMatching(/^inputs\.3\.type: /));
    expect(p).toContain('inputs.4.generate: only string and password inputs can be generated');
    expect(p).toContain('inputs.5.default: the default must be between 1 and 65535');
    // Cross-field rules run once every field parses (zod runs refinements on valid shapes only).
    const unknown = paths(
      manifestSchema.safeParse({
        ...base,
        inputs: [{ name: 'v', type: 'string', label: 'V', visible_if: { nope: 'x' } }],
      }),
    );
    expect(unknown).toEqual(["inputs.0.visible_if.nope: refers to unknown input 'nope'"]);
  });

  it('refuses visible_if cycles, duplicate names, unknown output variables and kind mix-ups', () => {
    const p = paths(
      manifestSchema.safeParse({
        ...base,
        inputs: [
          { name: 'a', type: 'boolean', label: 'A', visible_if: { b: true } },
          { name: 'b', type: 'boolean', label: 'B', visible_if: { c: true } },
          { name: 'c', type: 'boolean', label: 'C', visible_if: { a: true } },
          { name: 'c', type: 'string', label: 'C2', env: 'C_TWO' },
        ],
        outputs: [{ label: 'x', value: 'https://${NOPE}' }],
        os: [{ id: 'debian' }],
      }),
    );
    expect(p).toContain("inputs.3.name: duplicate input name 'c'");
    expect(p).toContain('outputs.0.value: refers to unknown variable ${NOPE}');
    expect(p).toContain('os: os requirements are for host entries');
    const cycle = paths(
      manifestSchema.safeParse({
        ...base,
        inputs: [
          { name: 'a', type: 'boolean', label: 'A', visible_if: { b: true } },
          { name: 'b', type: 'boolean', label: 'B', visible_if: { c: true } },
          { name: 'c', type: 'boolean', label: 'C', visible_if: { a: true } },
        ],
      }),
    );
    expect(cycle).toEqual(['inputs: visible_if conditions form a cycle: a → b → c → a']);
    const host = paths(manifestSchema.safeParse({ ...base, kind: 'host' }));
    expect(host).toContain('os: a host entry must say which systems it supports');
    expect(host).toContain('routes: routes are for compose entries');
  });

  it('prints as JSON Schema for editors (inputs, kinds, generators documented)', () => {
    const js = z.toJSONSchema(manifestSchema, { io: 'input', unrepresentable: 'any' }) as {
      properties: Record<
        string,
        { enum?: string[]; items?: { properties?: Record<string, { description?: string }> } }
      >;
      required: string[];
    };
    expect(js.properties.kind?.enum).toEqual(['compose', 'host']);
    expect(js.properties.inputs?.items?.properties?.generate?.description).toMatch(/password:32/);
    expect(js.required).toEqual(expect.arrayContaining(['id', 'name', 'version', 'kind']));
  });
});

describe('compose templates', () => {
  const m = manifestSchema.parse({
    ...base,
    inputs: [{ name: 'pw', type: 'password', label: 'PW', generate: 'hex:32', env: 'DB_PASSWORD' }],
    volumes: [{ name: 'data', description: 'data' }],
  });
  const ok = `services:
  db:
    image: postgres:16.6
    environment:
      POSTGRES_PASSWORD: \${DB_PASSWORD}
      LITERAL: $$NOT_A_VAR
    volumes: [data:/var/lib/postgresql/data]
  web:
    image: nginx:1.27.3
    expose: ["80"]
    environment:
      URL: \${INFRAKT_URL}
volumes:
  data: {}
`;

  it('a good template has no issues', () => {
    expect(checkComposeTemplate(m, ok)).toEqual([]);
    expect(composeVars(ok).sort()).toEqual(['DB_PASSWORD', 'INFRAKT_URL']);
  });

  it('refuses latest/unpinned images, public ports, fixed names, host networking, unknown variables', () => {
    const bad = ok
      .replace('postgres:16.6', 'postgres:latest')
      .replace('nginx:1.27.3', 'nginx')
      .replace(
        '    volumes: [data',
        '    ports: ["5432:5432"]\n    container_name: pg\n    network_mode: host\n    volumes: [data',
      )
      .replace('${INFRAKT_URL}', '${SECRET_FROM_HOST}');
    const issues = checkComposeTemplate(m, bad).map((i) => `${i.path}: ${i.message}`);
    expect(issues).toContain('services.db.image: image postgres:latest must be pinned to a version (not latest)');
    expect(issues).toContain('services.web.image: image nginx must be pinned to a version (not latest)');
    expect(issues).toContain('services.db.ports.0: must publish on 127.0.0.1 only (e.g. "127.0.0.1:8080:80")');
    expect(issues).toContainEqual(expect.stringMatching(/^services\.db\.container_name/));
    expect(issues).toContainEqual(expect.stringMatching(/^services\.db\.network_mode/));
    expect(issues).toContainEqual(expect.stringMatching(/^template: \$\{SECRET_FROM_HOST\} is neither/));
    expect(checkComposeTemplate(m, ok.replace('5432', '').replace('ports', 'x'))).toEqual([]);
    expect(
      checkComposeTemplate(
        m,
        ok.replace('    volumes: [data', '    ports: ["127.0.0.1:5432:5432"]\n    volumes: [data'),
      ),
    ).toEqual([]);
  });

  it('the Docker socket: must be declared, and with "proxy" only the read-only socket proxy mounts it', () => {
    const sock = ok.replace(
      '    expose: ["80"]',
      '    expose: ["80"]\n    volumes: [/var/run/docker.sock:/var/run/docker.sock]',
    );
    expect(checkComposeTemplate(m, sock).map((i) => i.message)).toContainEqual(
      expect.stringMatching(/declare docker_socket/),
    );
    const proxied = manifestSchema.parse({
      ...base,
      ...{ inputs: m.inputs, volumes: m.volumes },
      docker_socket: { access: 'proxy', reason: 'r' },
    });
    expect(checkComposeTemplate(proxied, sock).map((i) => i.message)).toContainEqual(
      expect.stringMatching(/only the socket proxy service may mount/),
    );
    const viaProxy = `${ok.replace('volumes:\n  data', `  socket-proxy:\n    image: tecnativa/docker-socket-proxy:0.3.0\n    volumes: [/var/run/docker.sock:/var/run/docker.sock:ro]\nvolumes:\n  data`)}`;
    expect(checkComposeTemplate(proxied, viaProxy)).toEqual([]);
    expect(checkComposeTemplate(proxied, ok).map((i) => i.message)).toContainEqual(
      expect.stringMatching(/no service mounts the socket/),
    );
  });

  it('the route must name the service carrying the port, and declared volumes must exist', () => {
    const wrong = manifestSchema.parse({
      ...base,
      routes: [{ service: 'db', port: 80 }],
      volumes: [{ name: 'gone', description: 'x' }],
    });
    const issues = checkComposeTemplate(wrong, ok.replace('${DB_PASSWORD}', 'x').replace('${INFRAKT_URL}', 'x'));
    expect(issues.map((i) => i.path)).toEqual(['routes.0.port', 'volumes.0.name']);
  });

  it('pinnedImage', () => {
    expect(pinnedImage('redis:7.4.2-alpine')).toBe(true);
    expect(pinnedImage('127.0.0.1:5000/x/y:1')).toBe(true);
    expect(pinnedImage('127.0.0.1:5000/x/y')).toBe(false);
    expect(pinnedImage('x:latest')).toBe(false);
    expect(pinnedImage(`x@sha256:${'a'.repeat(64)}`)).toBe(true);
  });

  it('rendering is data: values become env vars, outputs are filled, secret outputs flagged', () => {
    const withOut = manifestSchema.parse({
      ...base,
      inputs: m.inputs,
      outputs: [
        { label: 'URL', value: 'https://${INFRAKT_DOMAIN}' },
        { label: 'Password', value: '${DB_PASSWORD}' },
      ],
    });
    const r = renderEntry(
      withOut,
      { pw: "p'w; $(touch x)" },
      { app: 'demo', server: 's1', domain: 'demo.example.com' },
    );
    expect(r.env).toEqual({
      DB_PASSWORD: "p'w; $(touch x)",
      INFRAKT_APP: 'demo',
      INFRAKT_SERVER: 's1',
      INFRAKT_DOMAIN: 'demo.example.com',
      INFRAKT_URL: 'https://demo.example.com',
    });
    expect(r.secretEnv).toEqual(['DB_PASSWORD']);
    expect(r.outputs).toEqual([
      { label: 'URL', value: 'https://demo.example.com', secret: false },
      { label: 'Password', value: "p'w; $(touch x)", secret: true },
    ]);
  });
});

describe('catalog folders', () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));
  const write = (rel: string, text: string) => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };

  it('loads valid entries (several versions side by side) and refuses bad files with file and field', () => {
    const manifest = (v: string, extra = '') =>
      `id: demo\nname: Demo\nversion: ${v}\ndescription: d\ncategory: misc\nicon: D\nwebsite: https://d.example\nkind: compose\nroutes: [{ service: web, port: 80 }]\n${extra}`;
    const compose = 'services:\n  web:\n    image: nginx:1.27.3\n    expose: ["80"]\n';
    write('demo/manifest.yml', manifest('1.0.0'));
    write('demo/docker-compose.yml', compose);
    write('demo@2.0.0/manifest.yml', manifest('2.0.0'));
    write('demo@2.0.0/docker-compose.yml', compose);
    write(
      'broken/manifest.yml',
      manifest('1.0.0', 'inputs:\n  - { name: x, type: port, label: X, default: 99999 }\n').replace(
        'id: demo',
        'id: broken',
      ),
    );
    write('broken/docker-compose.yml', compose);
    write('wrongname/manifest.yml', manifest('1.0.0'));
    write('stacks/pair.yml', 'id: pair\nname: Pair\ndescription: two\nentries:\n  - entry: demo\n');
    const cat = loadCatalog([{ path: dir, source: 'user' }]);
    expect(cat.entries.map((e) => `${e.manifest.id}@${e.manifest.version}`).sort()).toEqual([
      'demo@1.0.0',
      'demo@2.0.0',
    ]);
    expect(cat.stacks.map((s) => s.stack.id)).toEqual(['pair']);
    expect(cat.problems).toContainEqual({
      where: `${dir}/broken/manifest.yml: inputs.0.default`,
      message: 'the default must be between 1 and 65535',
    });
    expect(cat.problems).toContainEqual(expect.objectContaining({ where: `${dir}/wrongname/manifest.yml: id` }));
  });
});
