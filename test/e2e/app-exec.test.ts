// `app exec`, `app run` and `app shell` through the built CLI against a harness sshd with the real Docker engine:
// exit codes passed through, the app's env in one-off containers (removed after), bad input refused, an
// interactive shell through a real pty (util-linux `script` as the terminal), and a hung-up session that ends
// its processes inside the container.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, cleanupHomes, makeInfraktHome, REPO_ROOT, registerHarnessServer, runCli } from '../harness/cli.js';
import { type SshdHost, startSshd, stopAllSshd } from '../harness/sshd.js';
import { cleanupDocker, docker, rand, removeAppImages } from './deploy-harness.js';

describe('app exec / run / shell (built CLI, sshd, Docker)', () => {
  let home: string;
  let host: SshdHost;
  const server = `ikt-test-${rand()}`;
  const app = `ikt-test-${rand()}`;
  const cli = (args: readonly string[], input?: string) =>
    runCli(args, { home, ...(input !== undefined ? { input } : {}) });

  beforeAll(async () => {
    home = makeInfraktHome();
    host = await startSshd();
    await registerHarnessServer(home, host, server);
    for (const args of [
      ['server', 'set', server, '--pull-policy', 'never'],
      ['app', 'create', '--server', server, '--name', app, '--image', 'infrakt-test/web:3', '--port', '3000'],
      ['env', 'set', app, 'GREETING=hello from env', 'QUOTED=it\'s "quoted"'],
      ['app', 'deploy', app],
    ]) {
      const r = await cli(args);
      if (r.code !== 0) throw new Error(`infrakt ${args.join(' ')} → ${r.code}\n${r.stderr}${r.stdout}`);
    }
  });

  afterAll(async () => {
    if (host) cleanupDocker(host.root);
    removeAppImages(app);
    await stopAllSshd();
    cleanupHomes();
  });

  it('exec passes the exit status and the output through', async () => {
    const ok = await cli([
      'app',
      'exec',
      app,
      '--',
      'sh',
      '-c',
      'echo "v=$APP_VERSION g=$GREETING"; echo to-stderr >&2',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('v=v3 g=hello from env\n');
    expect(ok.stderr).toContain('to-stderr');
    const seven = await cli(['app', 'exec', app, '--', 'sh', '-c', 'exit 7']);
    expect(seven.code).toBe(7);
    // Arguments reach the program as they are: no shell re-parses them on the server.
    const args = await cli(['app', 'exec', app, '--', 'printf', '[%s]', '$(touch /tmp/pwned)', "a'b", '*']);
    // Output travels line by line: a last line without a newline gets one.
    expect(args.stdout).toBe("[$(touch /tmp/pwned)][a'b][*]\n");
    const json = await cli(['app', 'exec', app, '--json', '--', 'sh', '-c', 'echo out; exit 4']);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toMatchObject({ exitCode: 4, stdout: 'out\n' });
  });

  it('run starts a one-off container of the release with the env, removed after', async () => {
    const r = await cli(['app', 'run', app, '--', 'sh', '-c', 'echo "$QUOTED $(hostname)"; exit 3']);
    expect(r.code).toBe(3);
    const [quoted, hostname] = r.stdout.trim().split(/ (?=[^ ]+$)/);
    expect(quoted).toBe('it\'s "quoted"');
    // Not the serving container: a container of its own.
    const serving = docker('ps', '-q', '--filter', `label=infrakt.app=${app}`);
    expect(serving).not.toContain(hostname);
    expect(docker('ps', '-aq', '--filter', `name=${app}-r1-run-`)).toBe('');
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const before = docker('ps', '-aq', '--filter', `label=infrakt.app=${app}`);
    const cases: [string[], number, RegExp][] = [
      [['app', 'exec', app], 2, /missing required argument 'command'/],
      [['app', 'exec', 'no-such-app', '--', 'true'], 3, /app 'no-such-app' not found|not found/],
      [['app', 'exec', app, '--service', 'bad name!', '--', 'true'], 2, /invalid service name/],
      [['app', 'exec', app, '--service', 'db', '--', 'true'], 2, /image app/],
      [['app', 'run', app, '--timeout', '0', '--', 'true'], 2, /timeout/],
      [['app', 'shell', app], 2, /needs a terminal/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(docker('ps', '-aq', '--filter', `label=infrakt.app=${app}`)).toBe(before);
  });

  it('app shell gives an interactive shell through a pty; the exit status comes back', async () => {
    const r = await inPty(['app', 'shell', app], 'echo "marker-$((6 * 7)) [$GREETING]"; tty; exit 5\n');
    expect(r.output).toContain('marker-42 [hello from env]');
    expect(r.output).toMatch(/\/dev\/pts\/\d+/);
    expect(r.code).toBe(5);
  });

  it('a hung-up interactive session ends its process in the container', async () => {
    const marker = `sleep-${rand()}`;
    const session = startInPty(['app', 'exec', '-i', app, '--', 'sh', '-c', `sleep 600; : ${marker}`]);
    const container = docker('ps', '-q', '--filter', `label=infrakt.app=${app}`).split('\n')[0]!;
    const running = () => docker('top', container, '-o', 'pid,args').includes(marker);
    await waitFor('the session to start in the container', () => running(), 60_000);
    session.hangUp();
    await waitFor('the session process to end', () => !running(), 30_000);
    expect(running()).toBe(false);
  });

  /** Polls a condition every 250 ms until a deadline (docker calls are too heavy for a tight loop). */
  async function waitFor(what: string, check: () => boolean, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!check()) {
      if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Runs the CLI on a new pty (`script`), typing `input` once the remote shell prompt shows. */
  function inPty(args: string[], input: string): Promise<{ code: number; output: string }> {
    const s = startInPty(args);
    void waitFor('a prompt', () => /[#$] /.test(s.output()), 60_000).then(
      () => s.type(input),
      (e) => {
        s.hangUp();
        throw new Error(`${(e as Error).message}; the terminal showed: ${JSON.stringify(s.output())}`);
      },
    );
    return s.done;
  }

  function startInPty(args: string[]) {
    const command = ['node', CLI_BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qfec', `stty cols 120 rows 40; exec ${command}`, '/dev/null'], {
      cwd: REPO_ROOT,
      env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1', TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      output += b.toString();
    });
    const done = new Promise<{ code: number; output: string }>((resolve) =>
      child.once('close', (code) => resolve({ code: code ?? -1, output })),
    );
    return {
      done,
      output: () => output,
      type: (text: string) => child.stdin.write(text),
      // Closing the terminal window: the terminal emulator (script) goes away, the kernel hangs up its
      // terminal and the CLI on it gets SIGHUP.
      hangUp: () => process.kill(child.pid!, 'SIGKILL'),
    };
  }
});
