import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ownerPrincipal } from '../../src/core/access.js';
import { PRIVILEGE_CLASSES, privilegedComposeFindings } from '../../src/core/compose-privileges.js';
import { parseComposeFile } from '../../src/core/plans/deploy-compose.js';
import { createApp } from '../../src/services/apps/apps.js';
import {
  assertComposeAllowed,
  parsePrivilegeClasses,
  repoComposeCheck,
  setAppPrivileges,
} from '../../src/services/apps/privileges.js';
import { listAudit } from '../../src/services/audit/audit-log.js';
import type { Ctx } from '../../src/services/shared/context.js';
import { createToken } from '../../src/services/tokens/tokens.js';
import { type ApiFixture, apiFixture, body } from './api-fixture.js';

const compose = (extra: string) => `services:\n  web:\n    image: nginx:alpine\n    ports: ["80"]\n${extra}`;
const classesOf = (extra: string) => privilegedComposeFindings(parseComposeFile(compose(extra))).map((f) => f.class);

describe('each privileged compose option has its own class', () => {
  it.each([
    ['    privileged: true\n', 'privileged'],
    ['    cap_add: [SYS_ADMIN]\n', 'cap_add'],
    ['    pid: host\n', 'host_namespaces'],
    ['    network_mode: host\n', 'host_namespaces'],
    ['    ipc: host\n', 'host_namespaces'],
    ['    network_mode: "container:db"\n', 'host_namespaces'],
    ['    cgroup_parent: /system.slice\n', 'host_namespaces'],
    ['    devices: ["/dev/sda:/dev/sda"]\n', 'devices'],
    ['    device_cgroup_rules: ["a *:* rwm"]\n', 'devices'],
    ['    security_opt: [seccomp=unconfined]\n', 'security_opt'],
    ['    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n', 'docker_socket'],
    ['    volumes: [{type: bind, source: /run/docker.sock, target: /s}]\n', 'docker_socket'],
    ['    volumes: ["/var/run:/host-run"]\n', 'host_mounts'],
    ['    volumes: ["/:/host"]\n', 'host_mounts'],
    ['    volumes: ["../../etc:/x"]\n', 'host_mounts'],
    ['volumes:\n  disguised: {driver_opts: {type: none, o: bind, device: /}}\n', 'host_mounts'],
  ])('%s → %s', (extra, cls) => {
    expect(classesOf(extra)).toEqual([cls]);
  });

  it('nothing is found in a file that stays in its sandbox', () => {
    expect(classesOf('    volumes: ["./data:/data", "cache:/cache"]\n    cap_drop: [ALL]\n')).toEqual([]);
  });

  it('--allow-privileged names are parsed strictly', () => {
    expect(parsePrivilegeClasses('docker_socket,cap_add')).toEqual(['cap_add', 'docker_socket']);
    expect(parsePrivilegeClasses(' privileged , privileged ')).toEqual(['privileged']);
    expect(parsePrivilegeClasses('none')).toEqual([]);
    expect(parsePrivilegeClasses([...PRIVILEGE_CLASSES])).toEqual([...PRIVILEGE_CLASSES]);
    expect(() => parsePrivilegeClasses('cap_add,root')).toThrow(/unknown privileged option 'root'/);
    expect(() => parsePrivilegeClasses('')).toThrow(/or none/);
    expect(() => parsePrivilegeClasses('none,cap_add')).toThrow(/unknown privileged option 'none'/);
  });
});

describe('the rule with an allowance', () => {
  const deployer = {
    principal: { kind: 'token', id: 'token:ci', name: 'token ci', level: 'deploy', servers: null, apps: null },
  } as unknown as Ctx;
  const admin = { principal: ownerPrincipal('cli') } as unknown as Ctx;
  const both = compose('    privileged: true\n    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n');

  it('a non-admin gets exactly the allowed classes, and is refused the others naming the field', () => {
    expect(() => assertComposeAllowed(deployer, both, { allowed: [] })).toThrow(/services\.web\.privileged/);
    expect(() => assertComposeAllowed(deployer, both, { allowed: ['docker_socket'] })).toThrow(
      /may not set services\.web\.privileged in a compose file/,
    );
    let err: unknown;
    try {
      assertComposeAllowed(deployer, both, { allowed: ['privileged'] });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'FORBIDDEN',
      details: { fields: ['services.web.volumes[0] (/var/run/docker.sock)'], classes: ['docker_socket'] },
    });
    expect((err as Error & { hint: string }).hint).toContain('--allow-privileged docker_socket');
    expect(() => assertComposeAllowed(deployer, both, { allowed: ['privileged', 'docker_socket'] })).not.toThrow();
  });

  it('an admin may set any file, but an untrusted source (webhook, poll, preview) is checked even for an admin', () => {
    expect(() => assertComposeAllowed(admin, both)).not.toThrow();
    const untrusted = { allowed: ['privileged' as const], untrusted: true, source: "the repository's compose.yml" };
    expect(() => assertComposeAllowed(admin, both, untrusted)).toThrow(
      /a deploy by cli may not set services\.web\.volumes\[0\] \(\/var\/run\/docker\.sock\) in the repository's compose\.yml/,
    );
    expect(() =>
      assertComposeAllowed(admin, both, { ...untrusted, allowed: ['privileged', 'docker_socket'] }),
    ).not.toThrow();
  });
});

describe('the allowance over the API', () => {
  let f: ApiFixture;
  let deploy: Record<string, string>;
  let adminH: Record<string, string>;
  beforeEach(async () => {
    f = apiFixture();
    const t = new Date().toISOString();
    await f.ctx.store.db
      .insertInto('servers')
      .values({
        name: 's1',
        host: '127.0.0.1',
        port: 1,
        user: 'root',
        root_dir: '/opt/infrakt',
        key_path: null,
        provider: null,
        status: 'unknown',
        host_key_fingerprint: null,
        host_key: null,
        last_checked_at: null,
        last_error: null,
        settings_json: '{}',
        created_at: t,
        updated_at: t,
      })
      .execute();
    await createApp(f.ctx, { server: 's1', name: 'web', port: 80, composeFile: compose('') });
    deploy = { Authorization: `Bearer ${(await createToken(f.ctx, { name: 'ci', scope: 'deploy' })).secret}` };
    adminH = { Authorization: `Bearer ${(await createToken(f.ctx, { name: 'ops', scope: 'admin' })).secret}` };
  });
  afterEach(async () => {
    await f.cleanup();
  });

  // As the caller alone (f.req would add the owner key).
  const as = (path: string, headers: Record<string, string>, method = 'GET', json?: unknown) =>
    f.app.request(path, {
      method,
      headers: { ...headers, ...(json ? { 'Content-Type': 'application/json' } : {}) },
      ...(json ? { body: JSON.stringify(json) } : {}),
    });
  const patch = (headers: Record<string, string>, file: string) =>
    as('/api/apps/web', headers, 'PATCH', { composeFile: file });
  const allow = (headers: Record<string, string>, list: string[]) =>
    as('/api/apps/web/privileges', headers, 'PUT', { allow: list });
  const socket = compose('    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n');
  const priv = compose('    privileged: true\n');

  it('an admin allows one class: a deployer then gets exactly it; shown, audited, revoked with []', async () => {
    expect((await patch(deploy, socket)).status).toBe(403);

    const refused = await allow(deploy, ['docker_socket']);
    expect([refused.status, (await body(refused)).error.details.need]).toEqual([403, 'admin']);
    const bad = await allow(adminH, ['docker_socket', 'root']);
    expect(bad.status).toBe(400);
    expect((await body(await f.req('/api/apps/web/settings'))).privileges).toEqual([]);

    const ok = await allow(adminH, ['docker_socket']);
    expect(await body(ok)).toEqual({
      app: 'web',
      server: 's1',
      allowed: ['docker_socket'],
      added: ['docker_socket'],
      removed: [],
    });
    expect((await body(await as('/api/apps/web/settings', deploy))).privileges).toEqual(['docker_socket']);

    expect((await patch(deploy, socket)).status).toBe(200);
    const still = await patch(deploy, priv);
    expect([still.status, (await body(still)).error.message]).toEqual([
      403,
      expect.stringContaining('services.web.privileged'),
    ]);

    const revoked = await body(await allow(adminH, []));
    expect([revoked.allowed, revoked.removed]).toEqual([[], ['docker_socket']]);
    expect((await patch(deploy, socket)).status).toBe(403);

    const events = (await listAudit(f.ctx, { action: 'app.privileges' })).map((e) => e.params);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ allowed: ['docker_socket'], added: ['docker_socket'] }),
        expect.objectContaining({ allowed: [], removed: ['docker_socket'] }),
      ]),
    );
  });

  it("a repository's compose file: automatic deploys and previews count as non-admin, with the app's own allowance", async () => {
    await createApp(f.ctx, { server: 's1', name: 'web-pr-3', port: 80, composeFile: compose('') });
    const ids = await f.ctx.store.db.selectFrom('apps').select(['id', 'name']).execute();
    const id = (n: string) => ids.find((r) => r.name === n)!.id;
    const t = new Date().toISOString();
    await f.ctx.store.db
      .insertInto('previews')
      .values({
        parent_app_id: id('web'),
        pr_number: 3,
        app_id: id('web-pr-3'),
        head_sha: 'a'.repeat(40),
        head_ref: 'feature',
        status: 'deploying',
        job_id: null,
        error: null,
        created_at: t,
        updated_at: t,
      })
      .execute();
    await setAppPrivileges(f.ctx, 'web', ['docker_socket']);
    const row = async (n: string) =>
      f.ctx.store.db.selectFrom('apps').selectAll().where('name', '=', n).executeTakeFirstOrThrow();
    const poller = { ...f.ctx, principal: ownerPrincipal('system', 'auto-deploy') } as Ctx;
    const person = { ...f.ctx, principal: ownerPrincipal('cli') } as Ctx;

    const byPoll = await repoComposeCheck(poller, await row('web'), 'compose.yml');
    expect(byPoll).toEqual({ allowed: ['docker_socket'], untrusted: true, source: "the repository's compose.yml" });
    expect(() => assertComposeAllowed(poller, socket, byPoll)).not.toThrow();
    expect(() => assertComposeAllowed(poller, priv, byPoll)).toThrow(/services\.web\.privileged/);

    expect((await repoComposeCheck(person, await row('web'), 'compose.yml')).untrusted).toBe(false);
    // The preview has no allowance of its own (its parent's is not inherited), even when an admin set it up.
    const preview = await repoComposeCheck(person, await row('web-pr-3'), 'docker-compose.yml');
    expect([preview.untrusted, preview.allowed]).toEqual([true, []]);
    expect(() => assertComposeAllowed(person, socket, preview)).toThrow(/in the repository's docker-compose\.yml/);
  });
});
