// The privileged compose options card of an app's settings in real Chromium against `infrakt serve` on loopback:
// a deployer sees the allowance and cannot change it; an admin allows one class, which the API then reports and a
// deployer's compose file may then use (and no other class).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { CLI_BIN, cleanupHomes, ensureCliBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { waitFor } from '../harness/sshd.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const APP = 'privweb';
const compose = (extra: string) => `services:\n  web:\n    image: infrakt-test/web:1\n    ports: ["3000"]\n${extra}`;

let home: string;
let child: ChildProcess;
let base = '';
let ownerKey = '';
let browser: Browser;

const cli = async (args: string[], input?: string) => {
  const r = await runCli(args, { home, ...(input !== undefined ? { input } : {}) });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};

async function signedIn(name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(`${name}-password-long`);
  await page.getByRole('button', { name: 'Log in as team member' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.goto(`${base}/apps/${APP}?tab=settings`);
  await page.getByRole('form', { name: 'Privileged compose options' }).waitFor();
  return page;
}

/** A compose file set by the signed-in user of `page` (the session's CSRF token), as the API answers it. */
const patchCompose = async (page: Page, file: string) => {
  const csrf = String(await page.evaluate("localStorage.getItem('infrakt.apiKey')")).slice('session:'.length);
  return page.evaluate(
    async ([app, body, csrf]) => {
      const r = await fetch(`/api/apps/${app}`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ composeFile: body }),
      });
      return { status: r.status, text: await r.text() };
    },
    [APP, file, csrf] as const,
  );
};

beforeAll(async () => {
  ensureCliBuilt();
  if (!existsSync(join(REPO_ROOT, 'dist', 'web', 'index.html'))) {
    execFileSync(process.execPath, ['scripts/build.mjs', 'web'], { cwd: REPO_ROOT, stdio: 'ignore' });
  }
  mkdirSync(SHOTS, { recursive: true });
  home = makeInfraktHome();
  // A "this machine" server (no SSH involved): nothing here deploys.
  await cli(['server', 'add', '--name', 's1', '--host', 'local', '--root', join(home, 's1')]);
  const file = join(home, 'compose.yml');
  writeFileSync(file, compose(''));
  await cli(['app', 'create', '--server', 's1', '--name', APP, '--compose-file', file, '--port', '3000']);
  await cli(['user', 'add', 'ada', '--role', 'admin'], 'ada-password-long');
  await cli(['user', 'add', 'dev', '--role', 'deployer'], 'dev-password-long');
  let out = '';
  child = spawn(process.execPath, [CLI_BIN, 'serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  await waitFor(
    'infrakt serve to listen',
    () => {
      if (child.exitCode !== null) throw new Error(`infrakt serve exited: ${out}`);
      base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
      return base !== '';
    },
    30_000,
  );
  ownerKey = readFileSync(join(home, 'api_key'), 'utf8').trim();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (child?.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  cleanupHomes();
});

describe('privileged compose options in the dashboard', () => {
  it('a deployer cannot change them; an admin allows docker_socket; the deployer then gets exactly that', async () => {
    const socket = compose('    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n');
    const dev = await signedIn('dev');
    const devCard = dev.getByRole('form', { name: 'Privileged compose options' });
    await devCard.getByText('Only an admin can change this.').waitFor();
    expect(await devCard.getByRole('checkbox', { name: /docker_socket/ }).isDisabled()).toBe(true);
    const refused = await patchCompose(dev, socket);
    expect([refused.status, refused.text]).toEqual([403, expect.stringContaining('services.web.volumes[0]')]);

    const ada = await signedIn('ada');
    const card = ada.getByRole('form', { name: 'Privileged compose options' });
    await card.getByRole('checkbox', { name: /docker_socket/ }).check();
    await card.getByRole('button', { name: 'Save allowance' }).click();
    await ada.getByText('non-admin deploys may use docker_socket').waitFor();
    await ada.screenshot({ path: join(SHOTS, 'app-privileges.png'), fullPage: true });
    const settings = (await (
      await fetch(`${base}/api/apps/${APP}/settings`, { headers: { 'X-API-Key': ownerKey } })
    ).json()) as { privileges: string[] };
    expect(settings.privileges).toEqual(['docker_socket']);

    await dev.reload();
    await devCard.getByRole('checkbox', { name: /docker_socket/ }).waitFor();
    expect(await devCard.getByRole('checkbox', { name: /docker_socket/ }).isChecked()).toBe(true);
    expect((await patchCompose(dev, socket)).status).toBe(200);
    const still = await patchCompose(dev, compose('    privileged: true\n'));
    expect([still.status, still.text]).toEqual([403, expect.stringContaining('services.web.privileged')]);
  }, 120_000);
});
