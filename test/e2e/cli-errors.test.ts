// Errors a user can act on (issue 11 items 11-15), through the built CLI: a hint per error class, no
// "auth failed" for a login never tried, --json failures as JSON on stdout with the same exit code, -y/--yes
// wherever a confirmation is asked, and input refused by the command that takes it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';
import { freePort } from '../harness/sshd.js';

let home: string;
let userHome: string;
let key: string;
let closedPort: number;
// No agent and an empty ~/.ssh: only what a test passes with --key can log in.
const cli = (...args: string[]) => runCli(args, { home, env: { HOME: userHome, SSH_AUTH_SOCK: '' } });

beforeAll(async () => {
  home = makeInfraktHome();
  userHome = mkdtempSync(join(tmpdir(), 'ikt-test-user-'));
  key = join(userHome, 'id_test');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  closedPort = await freePort();
});
afterAll(() => cleanupHomes());

describe('errors a user can act on', () => {
  it('server add with no key and no agent says so, without claiming an authentication failure (item 12)', async () => {
    const r = await cli('server', 'add', '--name', 'nokey', '--host', '127.0.0.1', '--port', String(closedPort));
    expect(r.code).toBe(EXIT_CODES.SSH_AUTH);
    expect(r.stderr).toMatch(/no SSH key or ssh-agent is available .*nothing was tried/);
    expect(r.stderr).not.toMatch(/auth failed/);
    expect(r.stderr).toMatch(/--key/);
  });

  it('each error class has its own hint: an unreachable server never sends you to server trust (item 11)', async () => {
    const add = await cli(
      'server',
      'add',
      '--name',
      'down',
      '--host',
      '127.0.0.1',
      '--port',
      String(closedPort),
      '--key',
      key,
    );
    expect(add.code).toBe(EXIT_CODES.SSH_UNREACHABLE);
    expect((await cli('app', 'create', '--server', 'down', '--name', 'web', '--image', 'nginx:alpine')).code).toBe(0);
    for (const args of [
      ['db', 'create', '--server', 'down', '--name', 'cache', '--type', 'redis'],
      ['app', 'deploy', 'web'],
      ['server', 'status', 'down'],
    ]) {
      const r = await cli(...args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), EXIT_CODES.SSH_UNREACHABLE]);
      expect(r.stderr).toMatch(/hint: check the host, the port and the firewall.*infrakt server test down/);
      expect(r.stderr).not.toMatch(/server trust/);
    }
    // A login that was never possible: the key/agent hint.
    const nokey = await cli('db', 'create', '--server', 'nokey', '--name', 'c2', '--type', 'redis');
    expect(nokey.code).toBe(EXIT_CODES.SSH_AUTH);
    expect(nokey.stderr).toMatch(/hint: check --key or your ssh-agent/);
    expect(nokey.stderr).not.toMatch(/server trust/);
  });

  it('--json failures print {"error":{code,message,hint}} on stdout with the same exit code (item 13)', async () => {
    for (const args of [
      ['db', 'create', '--server', 'down', '--name', 'cache', '--type', 'redis'],
      ['app', 'deploy', 'web'],
      ['app', 'show', 'nope'],
      ['server', 'add', '--name', 'bad;name', '--host', 'h'],
      ['env', 'set', 'web', '1BAD=x'],
      ['app', 'create', '--server', 'down', '--name', 'x', '--git', 'https://github.com\\@127.0.0.1/x.git'],
      ['server', 'list', '--bogus-option'],
    ]) {
      const plain = await cli(...args);
      const json = await cli(...args, '--json');
      expect([args.join(' '), json.code]).toEqual([args.join(' '), plain.code]);
      expect(json.code).not.toBe(0);
      const out = JSON.parse(json.stdout) as { error: { code: string; message: string; hint?: string } };
      expect(Object.keys(out)).toEqual(['error']);
      expect(out.error.code).toMatch(/^[A-Z_]+$/);
      expect(EXIT_CODES[out.error.code as keyof typeof EXIT_CODES]).toBe(json.code);
      expect(out.error.message.length).toBeGreaterThan(0);
    }
  });

  it('-y/--yes answers every confirmation (item 14)', async () => {
    // No TTY: without the flag each of these is refused (ABORTED) and names the flag.
    const refused = await cli('app', 'destroy', 'web');
    expect(refused.code).toBe(EXIT_CODES.ABORTED);
    expect(refused.stderr).toMatch(/-y\/--yes/);
    expect((await cli('server', 'remove', 'down')).code).toBe(EXIT_CODES.ABORTED);
    expect((await cli('server', 'remove', 'down', '-y')).code).toBe(0);
    for (const args of [
      ['app', 'destroy', 'x', '-y'],
      ['app', 'destroy', 'x', '--yes'],
      ['db', 'destroy', 'x', '--server', 'nokey', '-y'],
      ['db', 'restore', 'x', '20261122T031500Z.dump', '--yes'],
      ['server', 'trust', 'nokey', '-y'],
    ]) {
      const r = await cli(...args);
      // Accepted as an option (never a usage error); what follows fails for its own reason.
      expect([args.join(' '), r.stderr]).not.toEqual([args.join(' '), expect.stringMatching(/unknown option/)]);
      expect(r.code).not.toBe(EXIT_CODES.ABORTED);
    }
  });

  it('an app with no source is refused by app create, not at deploy (item 15)', async () => {
    await cli('server', 'add', '--name', 'later', '--host', '127.0.0.1', '--port', String(closedPort), '--key', key);
    const r = await cli('app', 'create', '--server', 'later', '--name', 'empty');
    expect(r.code).toBe(EXIT_CODES.VALIDATION);
    expect(r.stderr).toMatch(/needs a source/);
    expect(r.stderr).toMatch(/--image.*--git.*--compose-file/);
    expect((await cli('app', 'show', 'empty')).code).toBe(EXIT_CODES.NOT_FOUND);
    // A multi-line value is accepted by env set and deployable (item 3).
    expect((await cli('app', 'create', '--server', 'later', '--name', 'pem', '--image', 'nginx:alpine')).code).toBe(0);
    expect((await cli('env', 'set', 'pem', 'KEY=-----BEGIN KEY-----\nabc\n-----END KEY-----\n')).code).toBe(0);
  });

  it('secret set refuses a bad name before it asks for the value', async () => {
    const r = await cli('secret', 'set', 'bad name');
    expect(r.code).toBe(EXIT_CODES.VALIDATION);
    expect(r.stderr).toMatch(/invalid secret name/);
    expect(r.stderr).not.toMatch(/no value of secret/);
  });
});
