// The privileged compose options card of an app's settings in real Chromium against `infrakt serve` on loopback:
// a deployer sees the allowance and cannot change it; an admin allows one class, which the API then reports and a
// deployer's compose file may then use (and no other class).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { cleanupHomes, ensureCliBuilt, ensureWebBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { type Served, startServe } from '../harness/serve.js';
import { signedInPage } from '../harness/web-pages.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const APP = 'privweb';
const compose = (extra: string) => `services:\n  web:\n    image: infrakt-test/web:1\n    ports: ["3000"]\n${extra}`;

let home: string;
let child: Served;
let base = '';
let ownerKey = '';
let browser: Browser;

const cli = async (args: string[], input?: string) => {
  const r = await runCli(args, { home, ...(input !== undefined ? { input } : {}) });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};

/** A signed-in page of its own (its own cookie jar) on the app's settings. */
async function signedIn(name: string): Promise<Page> {
  const page = await signedInPage(browser, base, name, { viewport: { width: 1280, height: 1000 } });
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
  ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  home = makeInfraktHome();
  // A "this machine" server (no SSH involved): nothing here deploys.
  await cli(['server', 'add', '--name', 's1', '--host', 'local', '--root', join(home, 's1')]);
  const file = join(home, 'compose.yml');
  writeFileSync(file, compose(''));
  await cli(['app', 'create', '--server', 's1', '--name', APP, '--compose-file', file, '--port', '3000']);
  await cli(['user', 'add', 'ada', '--role', 'admin'], 'ada-password-long');
  await cli(['user', 'add', 'dev', '--role', 'deployer'], 'dev-password-long');
  child = await startServe(home);
  base = child.base;
  ownerKey = child.key;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await child?.stop();
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
