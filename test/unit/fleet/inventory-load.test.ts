import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isInfraktError } from '../../../src/core/errors.js';
import { parseInventory } from '../../../src/core/inventory/load.js';
import { inventoryJsonSchema } from '../../../src/core/inventory/schema.js';
import { buildDesired } from '../../../src/services/inventory/desired.js';

const fail = (text: string): { message: string; hint?: string | undefined; code: string } => {
  try {
    parseInventory('infrakt.yaml', text);
  } catch (e) {
    if (isInfraktError(e)) return { message: e.message, hint: e.hint, code: e.code };
    throw e;
  }
  throw new Error('expected a validation error');
};

const BASE = `version: 1
servers:
  web-1:
    host: 203.0.113.10
apps:
  api:
    server: web-1
    image: nginx:alpine
`;

describe('infrakt.yaml: errors name the file, line, column and field', () => {
  it('a value out of range', () => {
    expect(fail(`${BASE}    port: 70000\n`).message).toBe(
      'infrakt.yaml:9:11: apps.api.port: must be between 1 and 65535',
    );
  });

  it('a misspelt key is an error at its own line, not silently ignored', () => {
    const e = fail(BASE.replace('    host: 203.0.113.10', '    host: 203.0.113.10\n    prot: 22'));
    expect(e.message).toBe("infrakt.yaml:5:5: servers.web-1.prot: unknown field 'prot'");
  });

  it('several problems: the first is the message, the others are in the hint, in file order', () => {
    const e = fail(
      `version: 1\napps:\n  api:\n    server: web-1\n    image: nginx\n    port: 0\n  Bad_Name:\n    server: x\n    image: y\n`,
    );
    expect(e.message).toMatch(/^infrakt\.yaml:6:11: apps\.api\.port: must be between 1 and 65535 \(and 1 more\)$/);
    expect(e.hint).toMatch(/^infrakt\.yaml:7:3: apps\.Bad_Name: names are 1-63 characters/);
  });

  it('YAML syntax errors carry their position', () => {
    expect(fail('version: 1\napps:\n  web: [\n').message).toMatch(/^infrakt\.yaml:4:1: \(yaml\): /);
  });

  it('an app needs exactly one source; branch goes with git', () => {
    expect(fail('version: 1\napps:\n  api:\n    server: s\n').message).toBe(
      'infrakt.yaml:4:5: apps.api: give exactly one source: image, git or compose',
    );
    expect(fail('version: 1\napps:\n  api:\n    server: s\n    image: a\n    branch: main\n').message).toContain(
      'branch goes with git',
    );
  });

  it('a server has a host or a provider, not both', () => {
    const e = fail(
      'version: 1\nservers:\n  s:\n    host: 1.2.3.4\n    provider: { name: hc, type: cx22, location: nbg1, image: debian-12 }\n',
    );
    expect(e.message).toContain('servers.s: give exactly one of host');
  });

  it('references are checked with their location: unknown server, missing secret, unsupported features', () => {
    const build = (text: string) => {
      try {
        buildDesired(parseInventory('infrakt.yaml', text), new Set(['known']));
      } catch (e) {
        if (isInfraktError(e)) return `${e.code} ${e.message}`;
        throw e;
      }
      return 'ok';
    };
    expect(build(BASE.replace('server: web-1', 'server: web-2'))).toBe(
      "VALIDATION infrakt.yaml:7:13: apps.api.server: no server 'web-2' in this file",
    );
    expect(build(`${BASE}    env:\n      A: secret:missing\n      B: secret:known\n`)).toBe(
      "VALIDATION infrakt.yaml:10:10: apps.api.env.A: secret 'missing' does not exist",
    );
    // A secret a database of the same file creates is a valid reference.
    expect(
      build(
        `${BASE}    env:\n      A: secret:made\ndatabases:\n  db:\n    server: web-1\n    type: redis\n    secret: made\n`,
      ),
    ).toBe('ok');
    // Volumes, limits and several domains, checked as `app update` checks them, errors at their line.
    expect(build(`${BASE}    volumes: ["data:/data", "./up:/up:ro"]\n    limits: { memory: 512M, cpus: 0.5 }\n`)).toBe(
      'ok',
    );
    expect(build(`${BASE}    domains: [a.example.com, b.example.com]\n`)).toBe('ok');
    expect(build(`${BASE}    volumes: ["data:/data", "more:/data"]\n`)).toMatch(
      /^VALIDATION infrakt\.yaml:9:\d+: apps\.api\.volumes(\[1\])?: .*\/data/,
    );
    expect(build(`${BASE}    volumes: ["/etc:/host-etc"]\n`)).toMatch(
      /^VALIDATION infrakt\.yaml:9:\d+: apps\.api\.volumes\[0\]: .*bind mounts must be under the app directory/,
    );
    expect(build(`${BASE}    limits: { memory: 1k }\n`)).toMatch(
      /^VALIDATION infrakt\.yaml:9:\d+: apps\.api\.limits\.memory: must be at least 6m/,
    );
    const d = buildDesired(
      parseInventory('infrakt.yaml', `${BASE}    volumes: ["data:/data"]\n    limits: { memory: 512M }\n`),
      new Set(),
    );
    expect(d.state.apps[0]).toMatchObject({ volumes: ['data:/data'], limits: { memory: '512m', cpus: null } });
  });
});

describe('infrakt schema inventory', () => {
  it('is a JSON Schema editors can use: every section, strict objects, descriptions', () => {
    const s = inventoryJsonSchema() as { properties: Record<string, unknown>; required: string[]; $schema: string };
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(s.properties)).toEqual(['version', 'servers', 'apps', 'databases', 'routes', 'catalog']);
    expect(s.required).toEqual(['version']);
    const text = JSON.stringify(s);
    expect(text).toContain('"additionalProperties":false');
    expect(text).toContain('values, or secret:NAME references');
  });
});

describe('the README example', () => {
  it('is a valid infrakt.yaml (schema and references)', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
    const block = readme.match(/```yaml\n(version: 1\n[\s\S]*?)```/)?.[1];
    expect(block).toBeDefined();
    const loaded = parseInventory('README.md', block!);
    const d = buildDesired(loaded, new Set(['stripe-key', 'grafana-admin']), {
      secretValues: new Map([['grafana-admin', 'a-long-admin-password']]),
    });
    expect(d.state.servers.map((s) => s.name)).toEqual(['web-1', 'web-2', 'shop-pi']);
    expect(d.state.servers[2]?.edge).toMatchObject({ relay: 'r1', devicePort: 22 });
    expect(d.state.catalog[0]).toMatchObject({ name: 'grafana', entry: 'grafana', version: '11.4.0', pinned: true });
    expect(d.state.hosts).toEqual([expect.objectContaining({ name: 'swap', server: 'web-1', entry: 'swapfile' })]);
    expect(d.state.apps.map((a) => a.name)).toEqual(['api', 'worker']);
    expect(d.state.databases[0]).toMatchObject({ name: 'api-db', version: '16', secret: 'api-db' });
  });
});
