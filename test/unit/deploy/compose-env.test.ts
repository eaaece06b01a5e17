// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose ${VAR} interpolation syntax, not JS templates
// How variables are written into release compose files (issue 11 item 3): every value survives a YAML
// parse and compose's `$$` unescaping; `${VAR}` references to the app's variables follow compose's grammar.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { interpolate, mergeEnvironment, toComposeYaml, yamlDoubleQuoted } from '../../../src/core/plans/compose-env.js';
import { ENV_CORPUS } from '../../helpers/env-corpus.js';

const unescapeCompose = (s: string) => s.replaceAll('$$', '$');

describe('double-quoted YAML values', () => {
  it.each(ENV_CORPUS.map(([k, v]) => [k, v] as const))('%s round-trips', (_k, value) => {
    const text = yamlDoubleQuoted(value);
    expect(parse(`v: ${text}\n`).v).toBe(value);
    // Only printable text stays raw: no line breaks, no C0/C1 controls, no BOM or U+2028/2029 in the file.
    expect(text).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\ufeff\uffff]/);
  });

  it('every corpus value, in a whole release file, reads back after compose unescapes $$', () => {
    const env = new Map(ENV_CORPUS.map(([k, v]) => [k, v]));
    const doc = parse(
      toComposeYaml({ services: { app: { image: 'x', environment: mergeEnvironment(undefined, env) } } }),
    );
    for (const [k, v] of ENV_CORPUS) expect(unescapeCompose(doc.services.app.environment[k]), k).toBe(v);
  });

  it('user strings that YAML 1.1 would read as something else stay strings', () => {
    const doc = { services: { a: { image: 'x', labels: { b: 'on', c: '0777', d: '1:20', e: '~' } } } };
    expect(toComposeYaml(doc)).toContain('b: "on"');
    expect(parse(toComposeYaml(doc))).toEqual(doc);
  });

  it('a document that happens to contain the placeholder text is still written faithfully', () => {
    const doc = { services: { a: { image: 'ikt0q0z', command: ['ikt0q1z', 'ikt1q0z'] } } };
    expect(parse(toComposeYaml(doc))).toEqual(doc);
  });
});

describe('interpolation of the app variables in a compose file', () => {
  const env = new Map([
    ['A', 'x$y'],
    ['EMPTY', ''],
  ]);
  it.each([
    ['${A}', 'x$$y'],
    ['$A', 'x$$y'],
    ['$A_B', '$A_B'],
    ['${A:-d}', 'x$$y'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${A:+r}', 'r'],
    ['${EMPTY:+r}', ''],
    ['${EMPTY+r}', 'r'],
    ['${A?e}', 'x$$y'],
    ['${OTHER}', '${OTHER}'],
    ['${OTHER:-${A}}', '${OTHER:-${A}}'],
    ['${EMPTY:-${A}}', 'x$$y'],
    ['$$A', '$$A'],
    ['$', '$'],
    ['a ${A} b $A c', 'a x$$y b x$$y c'],
  ])('%s → %s', (input, out) => {
    expect(interpolate(input, env)).toBe(out);
  });

  it('${VAR:?message} on an empty variable is a validation error naming it', () => {
    expect(() => interpolate('${EMPTY:?needed}', env)).toThrow(/EMPTY is empty: needed/);
  });

  it("the user's environment entries win; bare names take the app's value", () => {
    expect(
      mergeEnvironment(
        ['A', 'B=own'],
        new Map([
          ['A', '1'],
          ['B', '2'],
          ['C', '3'],
        ]),
      ),
    ).toEqual({
      A: '1',
      B: 'own',
      C: '3',
    });
    expect(mergeEnvironment({ A: null, B: 'own' }, new Map([['A', '$']]))).toEqual({ A: '$$', B: 'own' });
  });
});
