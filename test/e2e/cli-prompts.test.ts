// `server add` and `app create` ask for missing required values on a terminal — the built CLI on a real pty
// (util-linux `script`), answered key by key — and never without one (a pipe) or with --json: there the clear
// "required option" error stays and nothing is created.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';

let home: string;
let closedPort: number;
const cli = (args: readonly string[]) => runCli(args, { home });

beforeAll(async () => {
  home = makeInfraktHome();
  // A server on a closed loopback port: registered, never reached.
  closedPort = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
});

afterAll(() => cleanupHomes());

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Runs infrakt on a pty; each step waits for a prompt text, then types the answer. Resolves with the exit code
 * and everything the terminal showed.
 */
function onPty(args: readonly string[], steps: readonly [string, string][]): Promise<{ code: number; out: string }> {
  const line = [process.execPath, CLI_BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', line, '/dev/null'], {
    env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1', TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  const waitFor = async (text: string, from: number) => {
    for (const deadline = Date.now() + 30_000; !out.slice(from).includes(text); ) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${JSON.stringify(text)}: ${JSON.stringify(out)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out.indexOf(text, from) + text.length;
  };
  return (async () => {
    try {
      let at = 0;
      for (const [prompt, answer] of steps) {
        at = await waitFor(prompt, at);
        child.stdin.write(answer);
      }
      const code = await Promise.race([
        exited,
        new Promise<number>((_, reject) =>
          setTimeout(() => reject(new Error(`no exit: ${JSON.stringify(out)}`)), 60_000).unref(),
        ),
      ]);
      return { code, out };
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  })();
}

describe('prompts for missing required values (built CLI)', () => {
  it('without a terminal: the clear error, nothing created', async () => {
    const r = await cli(['server', 'add']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("required option '--name <name>' not specified");
    const noHost = await cli(['server', 'add', '--name', 'box-1']);
    expect(noHost.code).toBe(2);
    expect(noHost.stderr).toContain('server add needs --host');
    expect((await cli(['server', 'list', '--json'])).stdout.trim()).toBe('[]');
  });

  it('server add on a terminal asks for the name (re-asking after a bad one) and the host', async () => {
    const r = await onPty(
      ['server', 'add', '--port', String(closedPort)],
      [
        ['Server name: ', 'Bad Name\r'],
        ['try again', ''],
        ['Server name: ', 'box-1\r'],
        ['Host (IP address or name): ', '127.0.0.1\r'],
      ],
    );
    expect(r.out).toContain('registered server box-1');
    const [server] = JSON.parse((await cli(['server', 'list', '--json'])).stdout);
    expect(server).toMatchObject({ name: 'box-1', host: '127.0.0.1', port: closedPort });
  });

  it('app create on a terminal offers the only server and asks for the name and the source', async () => {
    const r = await onPty(
      ['app', 'create', '--port', '8080'],
      [
        ['Server [box-1]: ', '\r'],
        ['App name: ', 'web\r'],
        ['Image (e.g. nginx:alpine) or git URL: ', 'busybox:1\r'],
      ],
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('created image app web on box-1');
    const [app] = JSON.parse((await cli(['app', 'list', '--json'])).stdout);
    expect(app).toMatchObject({ name: 'web', server: 'box-1', type: 'image', port: 8080 });
  });

  it('on a terminal, --json never asks; Ctrl-C at a question changes nothing', async () => {
    const json = await onPty(['app', 'create', '--image', 'busybox:1', '--json'], []);
    expect(json.code).toBe(2);
    expect(json.out).toContain("required option '--server <server>' not specified");
    expect(json.out).not.toContain('Server');
    const stopped = await onPty(
      ['app', 'create', '--server', 'box-1', '--image', 'busybox:1'],
      [['App name: ', '\u0003']],
    );
    expect(stopped.code).toBe(7); // ABORTED
    expect(stopped.out).toContain('aborted, nothing changed');
    expect(JSON.parse((await cli(['app', 'list', '--json'])).stdout)).toHaveLength(1);
  });
});
