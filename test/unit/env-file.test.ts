// biome-ignore-all lint/suspicious/noTemplateCurlyInString: dotenv files spell ${VAR} literally
// `env import` / `env export`: the dotenv reader and writer (every awkward value of the env corpus goes out and
// comes back byte for byte), the errors (a line number, never a value), and the services over a real SQLite
// store: all-or-nothing import, --replace, secret references, the audit trail.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDotenv, parseDotenv } from '../../src/core/schemas/dotenv.js';
import { Secret } from '../../src/core/secret.js';
import { createApp } from '../../src/services/apps/apps.js';
import { listEnv, setEnv } from '../../src/services/apps/env.js';
import { exportEnv, importEnv } from '../../src/services/apps/env-file.js';
import { setSecret } from '../../src/services/secrets/secrets.js';
import { registerServer } from '../../src/services/servers/servers.js';
import { ENV_CORPUS } from '../helpers/env-corpus.js';
import { openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

const pairs = (text: string) => Object.fromEntries(parseDotenv(text).map((p) => [p.key, p.value]));

describe('dotenv reader', () => {
  it('reads bare, quoted, exported and commented lines', () => {
    const text = [
      '\ufeff# a comment',
      '',
      'PLAIN=hello',
      'export EXPORTED=yes',
      '  SPACED = padded value   # trailing comment',
      'EMPTY=',
      'HASH_IN=a#b',
      'SINGLE=\'literal \\n $HOME "x"\'',
      'DOUBLE="line1\\nline2\\t\\"q\\" \\\\ \\$HOME \\x"',
      'MULTI="first',
      'second"',
      "MULTI_SINGLE='a",
      "b' # comment",
      'DOLLAR=${OTHER}',
      'CRLF=value\r',
      'LAST=no newline',
    ].join('\n');
    expect(pairs(text)).toEqual({
      PLAIN: 'hello',
      EXPORTED: 'yes',
      SPACED: 'padded value',
      EMPTY: '',
      HASH_IN: 'a#b',
      SINGLE: 'literal \\n $HOME "x"',
      DOUBLE: 'line1\nline2\t"q" \\ $HOME \\x',
      MULTI: 'first\nsecond',
      MULTI_SINGLE: 'a\nb',
      DOLLAR: '${OTHER}',
      CRLF: 'value',
      LAST: 'no newline',
    });
  });

  it('writes every value of the corpus so that it reads back byte for byte', () => {
    const all = ENV_CORPUS.map(([key, value]) => ({ key, value }));
    const text = formatDotenv(all, 'header line\nsecond header line');
    expect(text.startsWith('# header line\n# second header line\n')).toBe(true);
    const back = parseDotenv(text);
    expect(back.map((p) => p.key)).toEqual(all.map((p) => p.key));
    for (const [i, p] of back.entries()) expect(p.value, p.key).toBe(all[i]?.value);
    // One line per variable: no value spills onto a line of its own.
    expect(text.split('\n').length).toBe(all.length + 3);
  });

  it('writes plain values bare and quotes the rest', () => {
    expect(
      formatDotenv([
        { key: 'A', value: 'postgres://u:p@h:5432/db' },
        { key: 'B', value: 'a b' },
        { key: 'C', value: '$X `y` "z"\n' },
      ]),
    ).toBe('A=postgres://u:p@h:5432/db\nB="a b"\nC="\\$X \\`y\\` \\"z\\"\\n"\n');
  });

  it('refuses a bad file with the line number and never the value', () => {
    const secret = 'hunter2-super-secret';
    const cases: [string, RegExp][] = [
      [`A=1\n${secret}\n`, /^line 2: expected KEY=VALUE$/],
      [`A=1\n1BAD=${secret}\n`, /^line 2: invalid variable name '1BAD'$/],
      [`A="${secret}\n`, /^line 1: the double quote is never closed$/],
      [`A='${secret}`, /^line 1: the single quote is never closed$/],
      [`A="x" ${secret}\n`, /^line 1: unexpected text after the closing quote$/],
      [`A=1\nB="a\nb"\nA=${secret}\n`, /^line 4: A is already set on line 1$/],
      [`A=${secret}\0\n`, /^line 1: invalid value for A: must not contain NUL bytes$/],
      [`__proto__=${secret}\n`, /^line 1: invalid variable name '__proto__'$/],
      [`A=${'x'.repeat(70_000)}\n`, /^line 1: invalid value for A: value too long/],
    ];
    for (const [text, message] of cases) {
      let err: unknown;
      try {
        parseDotenv(text);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(text.slice(0, 40))).toMatchObject({ code: 'VALIDATION' });
      const e = err as { message: string; hint?: string };
      expect(e.message).toMatch(message);
      expect(`${e.message} ${e.hint ?? ''}`).not.toContain(secret);
    }
  });
});

describe('env import / export services', () => {
  let state: TestState;
  let dir: string;
  beforeEach(async () => {
    dir = tempDir();
    state = openTestState(join(dir, 'home'));
    await registerServer(state.ctx, { name: 'box', host: 'local' });
    await createApp(state.ctx, { server: 'box', name: 'web', image: 'nginx:alpine' });
  });
  afterEach(async () => {
    await state.close();
    removeDir(dir);
  });
  const values = async () =>
    Object.fromEntries((await listEnv(state.ctx, 'web', { reveal: true })).map((e) => [e.key, e.value]));

  it('imports all pairs, merging with what is set; export gives the same values back', async () => {
    await setEnv(state.ctx, 'web', ['KEEP=kept', 'OVERWRITE=old']);
    const r = await importEnv(state.ctx, 'web', 'OVERWRITE=new\nMULTI="a\\nb"\n');
    expect(r).toEqual({ app: 'web', set: ['OVERWRITE', 'MULTI'], removed: [] });
    expect(await values()).toEqual({ KEEP: 'kept', MULTI: 'a\nb', OVERWRITE: 'new' });
    const out = await exportEnv(state.ctx, 'web');
    expect(out.keys).toEqual(['KEEP', 'MULTI', 'OVERWRITE']);
    expect(out.text).toBe(
      '# environment of web on box (decrypted: keep this file private)\n' + 'KEEP=kept\nMULTI="a\\nb"\nOVERWRITE=new\n',
    );
    const audit = await state.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'details_json'])
      .where('action', 'like', 'env.%')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => (a as { action: string }).action)).toEqual(['env.set', 'env.import', 'env.export']);
    expect(JSON.stringify(audit)).not.toContain('kept');
  });

  it('round-trips the whole corpus through export and import into another app', async () => {
    await importEnv(state.ctx, 'web', formatDotenv(ENV_CORPUS.map(([key, value]) => ({ key, value }))));
    await createApp(state.ctx, { server: 'box', name: 'copy', image: 'nginx:alpine' });
    await importEnv(state.ctx, 'copy', (await exportEnv(state.ctx, 'web')).text);
    const copy = await listEnv(state.ctx, 'copy', { reveal: true });
    expect(Object.fromEntries(copy.map((e) => [e.key, e.value]))).toEqual(Object.fromEntries(ENV_CORPUS));
  });

  it('--replace makes the env exactly the file, in one step', async () => {
    await setEnv(state.ctx, 'web', ['OLD=1', 'SAME=x']);
    const r = await importEnv(state.ctx, 'web', 'SAME=y\nNEW=2\n', { replace: true });
    expect(r.removed).toEqual(['OLD']);
    expect(await values()).toEqual({ NEW: '2', SAME: 'y' });
  });

  it('changes nothing when any line is bad, a secret is missing or the total is too big', async () => {
    await setEnv(state.ctx, 'web', ['KEEP=kept']);
    const before = await values();
    const bad = [
      'A=1\nnot a pair\n',
      'A=1\nB=secret:nope\n',
      `A=${'x'.repeat(60_000)}\n`.repeat(1) +
        Array.from({ length: 20 }, (_, i) => `V${i}=${'y'.repeat(60_000)}`).join('\n'),
      '# only a comment\n',
    ];
    for (const text of bad) {
      await expect(importEnv(state.ctx, 'web', text, { replace: true })).rejects.toMatchObject({
        code: expect.stringMatching(/VALIDATION|NOT_FOUND/),
      });
    }
    expect(await values()).toEqual(before);
    await expect(importEnv(state.ctx, 'web', '')).rejects.toMatchObject({ message: 'the file holds no variables' });
    await expect(importEnv(state.ctx, 'nope', 'A=1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps secret references as references', async () => {
    await setSecret(state.ctx, 'db-pass', new Secret('s3cret'));
    await importEnv(state.ctx, 'web', 'DB_PASS=secret:db-pass\n');
    expect((await exportEnv(state.ctx, 'web')).text).toContain('DB_PASS=secret:db-pass\n');
  });
});
