// The rendering spec of src/core/cmd: one exact string per combinator and option.
import { describe, expect, it } from 'vitest';
import {
  and,
  appendFile,
  exec,
  fromFile,
  mergeStderr,
  not,
  or,
  pipe,
  quietErr,
  quote,
  raw,
  render,
  secretsOf,
  seq,
  sudo,
  toFile,
  withEnv,
} from '../../src/core/cmd/index.js';
import { secret } from '../../src/core/secret.js';

const a = exec('a');
const b = exec('b');
const c = exec('c');

describe('quote', () => {
  it('leaves words of safe characters bare', () => {
    expect(quote('docker')).toBe('docker');
    expect(quote('/opt/infrakt/apps/web-1.yml')).toBe('/opt/infrakt/apps/web-1.yml');
    expect(quote('user@host:22,x+y%z_w')).toBe('user@host:22,x+y%z_w');
    expect(quote('-rf')).toBe('-rf');
  });
  it("single-quotes everything else; ' becomes '\\''", () => {
    expect(quote('')).toBe("''");
    expect(quote('a b')).toBe("'a b'");
    expect(quote("it's")).toBe("'it'\\''s'");
    expect(quote("'")).toBe("''\\'''");
    expect(quote('$HOME')).toBe("'$HOME'");
    expect(quote('a=b')).toBe("'a=b'");
    expect(quote('~')).toBe("'~'");
    expect(quote('*')).toBe("'*'");
    expect(quote('line1\nline2')).toBe("'line1\nline2'");
    expect(quote('héllo')).toBe("'héllo'");
    expect(quote('\\')).toBe("'\\'");
  });
});

describe('exec', () => {
  it('joins the quoted argv with spaces', () => {
    expect(render(exec('docker', 'ps', '--format', '{{.Names}}'))).toBe("docker ps --format '{{.Names}}'");
  });
  it('needs a program', () => {
    expect(() => exec()).toThrow('exec() needs a program');
  });
  it('quotes a first word containing = so it is a command, not an assignment', () => {
    expect(render(exec('a=b', 'x'))).toBe("'a=b' x");
  });
  it("quotes such a first word correctly even when it holds a ' (was an injection)", () => {
    expect(render(exec("a='; touch M; '"))).toBe("'a='\\''; touch M; '\\'''");
  });
  it('force-quotes a reserved word in first position', () => {
    expect(render(exec('if', 'true'))).toBe("'if' true");
    expect(render(exec('echo', 'if'))).toBe('echo if');
  });
  it('renders a Secret argument as its quoted value, or [redacted] with redact', () => {
    const cmd = exec('psql', '--password', secret("p@ss w'rd"));
    expect(render(cmd)).toBe("psql --password 'p@ss w'\\''rd'");
    expect(render(cmd, { redact: true })).toBe('psql --password [redacted]');
  });
});

describe('withEnv', () => {
  it('prefixes checked names and quoted values', () => {
    expect(render(withEnv(exec('env'), { LANG: 'C', MSG: 'hello world' }))).toBe("LANG=C MSG='hello world' env");
  });
  it('accumulates', () => {
    expect(render(withEnv(withEnv(exec('x'), { A: '1' }), { B: '2' }))).toBe('A=1 B=2 x');
  });
  it('redacts secret values', () => {
    const cmd = withEnv(exec('x'), { TOKEN: secret('s3cr3t!') });
    expect(render(cmd)).toBe("TOKEN='s3cr3t!' x");
    expect(render(cmd, { redact: true })).toBe('TOKEN=[redacted] x');
  });
  it('refuses invalid names', () => {
    for (const bad of ['1A', 'A-B', 'A B', '', 'A;B', '$(x)'])
      expect(() => withEnv(exec('x'), { [bad]: 'v' })).toThrow();
  });
});

describe('lists', () => {
  it('and / or / seq / pipe', () => {
    expect(render(and(a, b, c))).toBe('a && b && c');
    expect(render(or(a, b))).toBe('a || b');
    expect(render(seq(a, b))).toBe('a; b');
    expect(render(pipe(a, b, c))).toBe('a | b | c');
  });
  it('a single part is the part itself; none is an error', () => {
    expect(and(a)).toBe(a);
    expect(() => or()).toThrow('or() needs at least one command');
  });
  it('same-kind nesting stays flat; mixed kinds are grouped with { …; }', () => {
    expect(render(and(and(a, b), c))).toBe('a && b && c');
    expect(render(and(or(a, b), c))).toBe('{ a || b; } && c');
    expect(render(or(and(a, b), c))).toBe('{ a && b; } || c');
    expect(render(seq(and(a, b), c))).toBe('{ a && b; }; c');
    expect(render(and(seq(a, b), c))).toBe('{ a; b; } && c');
  });
  it('a pipeline binds tighter than && and ;', () => {
    expect(render(and(pipe(a, b), c))).toBe('a | b && c');
    expect(render(pipe(and(a, b), c))).toBe('{ a && b; } | c');
    expect(render(pipe(pipe(a, b), c))).toBe('a | b | c');
  });
});

describe('redirects', () => {
  it('to, append, from, stderr to /dev/null, stderr into stdout', () => {
    expect(render(toFile(a, '/tmp/out file'))).toBe("a > '/tmp/out file'");
    expect(render(appendFile(a, '/var/log/x'))).toBe('a >> /var/log/x');
    expect(render(fromFile(a, '/dev/null'))).toBe('a < /dev/null');
    expect(render(quietErr(a))).toBe('a 2> /dev/null');
    expect(render(mergeStderr(a))).toBe('a 2>&1');
  });
  it('group compound commands so the redirect covers all of them', () => {
    expect(render(toFile(and(a, b), '/tmp/f'))).toBe('{ a && b; } > /tmp/f');
    expect(render(mergeStderr(pipe(a, b)))).toBe('{ a | b; } 2>&1');
    expect(render(quietErr(toFile(a, '/tmp/f')))).toBe('{ a > /tmp/f; } 2> /dev/null');
  });
  it('redirected commands inside lists and pipelines need no group', () => {
    expect(render(and(toFile(a, '/f'), b))).toBe('a > /f && b');
    expect(render(pipe(mergeStderr(a), b))).toBe('a 2>&1 | b');
  });
  it('quote hostile targets', () => {
    expect(render(toFile(a, '/tmp/$(touch M)'))).toBe("a > '/tmp/$(touch M)'");
  });
});

describe('not', () => {
  it('negates a command, grouping compounds', () => {
    expect(render(not(a))).toBe('! a');
    expect(render(not(and(a, b)))).toBe('! { a && b; }');
    expect(render(and(not(a), b))).toBe('! a && b');
  });
});

describe('sudo', () => {
  it('runs the rendered command through sh -c, quoted once more', () => {
    expect(render(sudo(exec('systemctl', 'reload', 'caddy')))).toBe("sudo -n sh -c 'systemctl reload caddy'");
    expect(render(sudo(and(exec('echo', "it's"), b)))).toBe("sudo -n sh -c 'echo '\\''it'\\''\\'\\'''\\''s'\\'' && b'");
  });
  it('needs no group inside lists or redirects', () => {
    expect(render(and(sudo(a), b))).toBe('sudo -n sh -c a && b');
    expect(render(toFile(sudo(a), '/f'))).toBe('sudo -n sh -c a > /f');
  });
  it('redacts secrets inside the nested command', () => {
    const cmd = sudo(and(withEnv(exec('x'), { PW: secret('hunter22') }), exec('chpasswd', secret('root:hunter22'))));
    expect(render(cmd, { redact: true })).toBe("sudo -n sh -c 'PW=[redacted] x && chpasswd [redacted]'");
    expect(render(cmd, { redact: true })).not.toContain('hunter22');
    expect(render(cmd)).toContain('hunter22');
  });
});

describe('raw', () => {
  it('is inserted verbatim and grouped when combined', () => {
    expect(render(raw('echo $HOME'))).toBe('echo $HOME');
    expect(render(and(raw('cd /tmp'), a))).toBe('{ cd /tmp; } && a');
    expect(render(toFile(raw('x'), '/f'))).toBe('{ x; } > /f');
  });
});

describe('secretsOf', () => {
  it('collects every Secret of a command tree, env and sudo included', () => {
    const s1 = secret('one1');
    const s2 = secret('two2');
    const s3 = secret('three3');
    const cmd = pipe(exec('a', s1), sudo(withEnv(exec('b'), { K: s2 })), toFile(exec('c', s3), '/f'), raw('x'));
    expect(secretsOf(cmd)).toEqual([s1, s2, s3]);
  });
});
