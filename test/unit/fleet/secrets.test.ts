import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/services/apps/apps.js';
import { decryptedEnv, setEnv } from '../../../src/services/apps/env.js';
import { deleteSecret, getSecret, listSecrets, setSecret } from '../../../src/services/secrets/secrets.js';
import { registerServer } from '../../../src/services/servers/servers.js';
import { openTestState, type TestState } from '../../helpers/state.js';

let state: TestState | undefined;
afterEach(async () => {
  await state?.close();
  state = undefined;
});

describe('named secrets', () => {
  it('set, list (names only), get, replace, delete; stored sealed, bound to the name', async () => {
    state = openTestState();
    const { ctx } = state;
    expect(await setSecret(ctx, 'api-token', 'tok-123456789')).toEqual({ name: 'api-token', created: true });
    expect(await setSecret(ctx, 'api-token', 'tok-abcdefghi')).toEqual({ name: 'api-token', created: false });
    const list = await listSecrets(ctx);
    expect(list.map((s) => s.name)).toEqual(['api-token']);
    expect(JSON.stringify(list)).not.toContain('tok-');
    expect((await getSecret(ctx, 'api-token')).reveal()).toBe('tok-abcdefghi');
    const row = await ctx.store.db.selectFrom('secrets').selectAll().executeTakeFirstOrThrow();
    expect(row.value_enc).not.toContain('tok-');
    // Moved under another name, the ciphertext does not open.
    await ctx.store.db
      .insertInto('secrets')
      .values({ ...row, id: undefined as never, name: 'copy' })
      .execute();
    await expect(getSecret(ctx, 'copy')).rejects.toMatchObject({ code: 'SECRET' });
    await deleteSecret(ctx, 'api-token');
    await expect(getSecret(ctx, 'api-token')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('bad names and empty values are refused without echoing the value', async () => {
    state = openTestState();
    await expect(setSecret(state.ctx, 'bad name', 'x')).rejects.toMatchObject({ code: 'VALIDATION' });
    const e = (await setSecret(state.ctx, 'ok', '').catch((x) => x)) as Error;
    expect(e.message).toBe('invalid value for secret ok: the value is empty');
  });

  it('env values may reference a secret: checked when set, resolved at deploy time to its current value', async () => {
    state = openTestState();
    const { ctx } = state;
    await registerServer(ctx, { name: 's1', host: '127.0.0.1' });
    await createApp(ctx, { server: 's1', name: 'web', image: 'nginx:1' });
    await expect(setEnv(ctx, 'web', ['DB=secret:db-url'])).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: "DB refers to secret 'db-url', which does not exist",
    });
    await setSecret(ctx, 'db-url', 'postgres://u:first@h/db');
    await setEnv(ctx, 'web', ['DB=secret:db-url', 'PLAIN=v']);
    const app = await ctx.store.db.selectFrom('apps').selectAll().executeTakeFirstOrThrow();
    expect([...(await decryptedEnv(ctx, app))].map(([k, v]) => `${k}=${v.reveal()}`)).toEqual([
      'DB=postgres://u:first@h/db',
      'PLAIN=v',
    ]);
    await setSecret(ctx, 'db-url', 'postgres://u:second@h/db');
    expect((await decryptedEnv(ctx, app)).get('DB')?.reveal()).toBe('postgres://u:second@h/db');
  });
});
