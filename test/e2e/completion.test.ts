// `infrakt completion bash|zsh|fish` with the built CLI: the bash script sourced in a real interactive bash on a
// pty (util-linux `script`), where TAB after `infrakt app de` offers deploy, deploy-key, deployments and destroy;
// options and the names of apps and servers from the local state; zsh and fish scripts; a bad shell refused.
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';
import { removeDir, tempDir } from '../helpers/state.js';

describe('shell completion (built CLI, real bash)', () => {
  let home: string;
  let bin: string;
  const cli = (args: readonly string[]) => runCli(args, { home });

  beforeAll(async () => {
    home = makeInfraktHome();
    bin = tempDir();
    // `infrakt` on PATH, as after `npm install -g`.
    writeFileSync(join(bin, 'infrakt'), `#!/bin/sh\nexec '${process.execPath}' '${CLI_BIN}' "$@"\n`);
    chmodSync(join(bin, 'infrakt'), 0o755);
    // A server on a closed loopback port: registered, never reached.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    await cli(['server', 'add', '--name', 'prod-1', '--host', '127.0.0.1', '--port', String(port)]);
    for (const name of ['web', 'worker']) {
      const r = await cli(['app', 'create', '--server', 'prod-1', '--name', name, '--image', 'busybox:1']);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  afterAll(() => {
    cleanupHomes();
    if (bin) removeDir(bin);
  });

  it('TAB in a real interactive bash completes commands, then app names', async () => {
    const shown = await bashTab([
      'infrakt app de\t\t',
      '\u0015infrakt app deploy w\t\t',
      '\u0015infrakt app logs --ser\t',
    ]);
    expect(shown).toMatch(/deploy\s+deploy-key\s+deployments\s+destroy/);
    expect(shown).toMatch(/web\s+worker/);
    expect(shown).toContain('--server');
  });

  it('__complete offers options, option values and names from the local state', async () => {
    const ask = async (...words: string[]) => (await cli(['__complete', ...words])).stdout.trim().split('\n');
    expect(await ask('', 'env')).toEqual(expect.arrayContaining(['export', 'import', 'list', 'set']));
    expect(await ask('--sh', 'env', 'list')).toEqual(['--show-values']);
    expect(await ask('', 'env', 'list', '--server')).toEqual(['prod-1']);
    expect(await ask('w', 'app', 'logs')).toEqual(['web', 'worker']);
    expect(await ask('', 'server', 'show')).toEqual(['prod-1']);
    // After `--` the words belong to the remote command: nothing to offer.
    expect((await cli(['__complete', '', 'app', 'exec', 'web', '--'])).stdout).toBe('');
  });

  it('prints zsh and fish scripts and refuses an unknown shell', async () => {
    const zsh = await cli(['completion', 'zsh']);
    expect(zsh.stdout).toContain('compdef _infrakt infrakt');
    const fish = await cli(['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c infrakt -f -a '(__infrakt_complete)'");
    const bad = await cli(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown shell 'tcsh'/);
    const help = await cli(['completion', '--help']);
    expect(help.stdout).toContain('source <(infrakt completion bash)');
  });

  /** Types each line into an interactive bash on a pty that sourced the completion; returns what it showed. */
  function bashTab(inputs: string[]): Promise<string> {
    const child = spawn('script', ['-qfec', 'bash --norc --noprofile -i', '/dev/null'], {
      env: { ...process.env, INFRAKT_HOME: home, PATH: `${bin}:${process.env.PATH}`, TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const waitFor = async (check: () => boolean, what: string) => {
      for (const deadline = Date.now() + 30_000; !check(); ) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(out)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    return (async () => {
      try {
        await waitFor(() => /[#$] $/.test(out), 'the prompt');
        child.stdin.write('source <(infrakt completion bash); echo sourced-$((1+1))\n');
        await waitFor(() => out.includes('sourced-2'), 'the script to load');
        const expected = ['destroy', 'worker', '--server'];
        for (const [i, input] of inputs.entries()) {
          child.stdin.write(input);
          await waitFor(() => out.includes(expected[i] as string), `completion of ${JSON.stringify(input)}`);
        }
        return out;
      } finally {
        child.kill('SIGKILL');
      }
    })();
  }
});
