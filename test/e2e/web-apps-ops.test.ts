// The dashboard's everyday-operations parts in real Chromium against `infrakt serve` and a systemd "VPS"
// (a container with systemd as PID 1 and a real Docker engine, reached over SSH): the web terminal in an app
// (xterm.js over the WebSocket: output, resize, hang-up ending the container process when the tab closes) and
// on the server, scheduled tasks (add, run now, last result), a one-off command, env import and export, and
// axe-core's WCAG 2 A/AA rules on every page in light and dark mode.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { axe } from '../harness/axe.js';
import { launchChromium } from '../harness/chromium.js';
import { cleanupHomes, ensureCliBuilt, ensureWebBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { type Served, startServe } from '../harness/serve.js';
import { getClientKeys, waitFor } from '../harness/sshd.js';
import { startVps, type Vps } from '../harness/vps/start-vps.js';
import { shouldRunVpsTests } from '../harness/vps/vps-server.js';

const runIt = await shouldRunVpsTests();

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const APP = `ops-${Math.random().toString(36).slice(2, 8)}`;
const SERVER = 'ops-vps';

describe.skipIf(!runIt)('dashboard: terminal, tasks, env files, accessibility (Chromium, systemd VPS)', () => {
  let vps: Vps;
  let home: string;
  let serve: Served;
  let base = '';
  let key = '';
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `ops-${name}.png`), fullPage: true });
  const ok = async (args: readonly string[]) => {
    const r = await runCli(args, { home, timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`infrakt ${args.join(' ')} → ${r.code}\n${r.stderr}${r.stdout}`);
    return r;
  };
  const inVps = async (script: string) => (await vps.sh(script)).stdout;

  beforeAll(async () => {
    ensureCliBuilt();
    ensureWebBuilt();
    mkdirSync(SHOTS, { recursive: true });
    const keys = getClientKeys();
    vps = await startVps({ publicKey: readFileSync(`${keys.ed25519}.pub`, 'utf8'), hostDocker: true });
    await vps.loadImage('infrakt-test/web:3');
    home = makeInfraktHome();
    await ok(['server', 'add', '--name', SERVER, '--host', vps.ip, '--key', keys.ed25519, '--root', '/opt/infrakt']);
    await ok(['server', 'set', SERVER, '--pull-policy', 'never']);
    await ok(['app', 'create', '--server', SERVER, '--name', APP, '--image', 'infrakt-test/web:3', '--port', '3000']);
    await ok(['env', 'set', APP, 'GREETING=hello from env']);
    await ok(['app', 'deploy', APP]);

    serve = await startServe(home, { ready: /reverse proxy/ });
    base = serve.base;
    key = readFileSync(join(home, 'api_key'), 'utf8').trim();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    context.setDefaultTimeout(20_000);
    page = await newPage();
  }, 400_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page && !page.isClosed()) {
      const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page.screenshot({ path: join(SHOTS, `ops-failed-${name}.png`), fullPage: true }).catch(() => {});
    }
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await vps?.stop();
    cleanupHomes();
  });

  async function newPage(): Promise<Page> {
    const p = await context.newPage();
    p.on('console', (m) => {
      if (
        m.type() === 'error' &&
        !/^Failed to load resource: the server responded with a status of [45]\d\d/.test(m.text())
      )
        consoleErrors.push(m.text());
    });
    p.on('pageerror', (e) => consoleErrors.push(String(e)));
    return p;
  }

  /** The text the terminal shows (xterm's rows, one line each: hence the rendered text). */
  // biome-ignore lint/performance/useDomNodeTextContent: textContent would join the rows without line breaks
  const screen = (p: Page) => p.locator('[data-terminal] .xterm-rows').innerText();
  const openAppTab = async (p: Page, tab: string) => {
    await p.goto(`${base}/apps/${APP}?tab=${tab}`);
    await p.getByRole('heading', { name: APP }).waitFor();
  };

  it('logs in', async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('API key', { exact: true }).fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  it('opens a terminal in the app: output, resize; closing the tab ends the process in the container', async () => {
    await openAppTab(page, 'terminal');
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await page.locator('[data-terminal-status="open"]').waitFor({ timeout: 60_000 });
    await page.locator('[data-terminal] textarea').focus();
    await page.keyboard.type('echo "marker-$((6 * 7)) [$GREETING]"\n');
    await waitFor('the echo', async () => (await screen(page)).includes('marker-42 [hello from env]'), 30_000);
    // docker applies a pty size to the exec asynchronously (after the program starts, and after each resize the
    // browser sends), so a command typed at once can still see the old size: ask again until the size settles.
    const sizeShown = async (accept: (cols: number) => boolean) => {
      let asked = 0;
      let cols = 0;
      await waitFor(
        'the terminal size',
        async () => {
          const shown = /^(\d+) (\d+)\s*$/m.exec(await screen(page));
          if (shown && Number(shown[1]) > 0 && accept(Number(shown[2]))) {
            cols = Number(shown[2]);
            return true;
          }
          if (Date.now() - asked > 2_000) {
            asked = Date.now();
            await page.keyboard.type('clear; stty size\n');
          }
          return false;
        },
        60_000,
      );
      return cols;
    };
    const before = await sizeShown((cols) => cols > 0);
    await shot('terminal');
    // A narrower window: the terminal refits and the shell sees the new size.
    await page.setViewportSize({ width: 900, height: 700 });
    const after = await sizeShown((cols) => cols > 0 && cols < before);
    expect(after).toBeLessThan(before);
    await page.setViewportSize({ width: 1280, height: 860 });

    const marker = `sleep-${Math.random().toString(36).slice(2, 8)}`;
    await page.keyboard.type(`sh -c 'sleep 600; : ${marker}'\n`);
    const container = (await inVps(`docker ps -q --filter label=infrakt.app=${APP}`)).trim().split('\n')[0];
    const running = async () => (await inVps(`docker top ${container} -o pid,args`)).includes(marker);
    await waitFor('the command to run in the container', running, 30_000);
    await page.close();
    await waitFor('the process to end after the tab closed', async () => !(await running()), 60_000);
    page = await newPage();
  });

  it('opens a shell on the server', async () => {
    await page.goto(`${base}/servers/${SERVER}`);
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await page.locator('[data-terminal-status="open"]').waitFor({ timeout: 60_000 });
    await page.locator('[data-terminal] textarea').focus();
    await page.keyboard.type('echo "host-$(( 40 + 2 ))-$(cat /etc/hostname)"\n');
    await waitFor('the echo', async () => (await screen(page)).includes(`host-42-${vps.name.slice(9)}`), 30_000);
  });

  it('adds a scheduled task, runs it now and shows its last result; runs a one-off command', async () => {
    await openAppTab(page, 'tasks');
    await page.getByText('No scheduled tasks').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('greet');
    await page.getByLabel('Schedule (cron)', { exact: true }).fill('@daily');
    await page.getByLabel('Command (run with sh -c)', { exact: true }).first().fill('echo "task says $GREETING"');
    await page.getByRole('button', { name: 'Add task' }).click();
    const added = page.getByRole('dialog', { name: 'Add task greet' });
    await added.locator('[data-job-status="succeeded"]').waitFor({ timeout: 120_000 });
    await added.getByRole('button', { name: 'Close dialog' }).click();
    const row = page.locator('tr[data-task="greet"]');
    await row.getByText('never run').waitFor();
    expect(await inVps('systemctl is-active $(ls /etc/systemd/system | grep -m1 "greet.*timer")')).toContain('active');

    await row.getByRole('button', { name: 'Run greet now' }).click();
    const run = page.getByRole('dialog', { name: 'Run task greet' });
    await run.locator('[data-job-status="succeeded"]').waitFor({ timeout: 120_000 });
    await run.getByText('task says hello from env').first().waitFor();
    await run.getByRole('button', { name: 'Close dialog' }).click();
    await row.locator('[data-task-last]').getByText('succeeded').waitFor({ timeout: 30_000 });
    await row.getByText('last output').click();
    await row.locator('[data-task-log]').getByText('task says hello from env').waitFor();
    await shot('tasks');

    await page.getByLabel('Where', { exact: true }).selectOption('run');
    await page.getByLabel('Command (run with sh -c)', { exact: true }).last().fill('echo "one-off $((2 + 3))"');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const oneOff = page.getByRole('dialog', { name: `Run in ${APP}` });
    await oneOff.locator('[data-job-status="succeeded"]').waitFor({ timeout: 120_000 });
    await oneOff.getByText('one-off 5').first().waitFor();
    await oneOff.getByRole('button', { name: 'Close dialog' }).click();
  });

  it('imports a pasted dotenv file and exports one after a confirmation', async () => {
    await openAppTab(page, 'env');
    await page.getByRole('button', { name: 'Import .env' }).click();
    const dialog = page.getByRole('dialog', { name: `Import variables into ${APP}` });
    await dialog.getByLabel('Or paste its content').fill('# pasted\nIMPORTED_A="x y"\nIMPORTED_B=2\nbroken line\n');
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.getByText('line 4: expected KEY=VALUE').waitFor();
    expect(await page.locator('tr[data-env="IMPORTED_A"]').count()).toBe(0);
    await dialog.getByLabel('Or paste its content').fill('# pasted\nIMPORTED_A="x y"\nIMPORTED_B=2\n');
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('tr[data-env="IMPORTED_A"]').waitFor();
    await page.locator('tr[data-env="IMPORTED_B"]').waitFor();

    await page.getByRole('button', { name: 'Export .env' }).click();
    const confirm = page.getByRole('dialog', { name: `Export the variables of ${APP}` });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      confirm.getByRole('button', { name: 'Reveal and download' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${APP}.env`);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).toContain('GREETING="hello from env"\nIMPORTED_A="x y"\nIMPORTED_B=2\n');
    await shot('env');
  });

  it('passes axe-core WCAG 2 A/AA on every page, light and dark', async () => {
    const pages = [
      '/servers',
      `/servers/${SERVER}`,
      '/apps',
      ...['deployments', 'logs', 'env', 'tasks', 'terminal', 'backups'].map((t) => `/apps/${APP}?tab=${t}`),
      '/databases',
      '/jobs',
      '/backups',
      '/catalog',
      '/approvals',
      '/users',
      '/tokens',
      '/audit',
      '/',
    ];
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const path of pages) {
        await page.goto(`${base}${path}`);
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle').catch(() => {});
        found.push(...(await axe(page)).map((v) => `${scheme} ${path}: ${v}`));
      }
      // The login page, signed out in a fresh context (the key is in this one's storage).
      const login = await browser.newPage();
      await login.emulateMedia({ colorScheme: scheme });
      await login.goto(`${base}/`);
      await login.getByLabel('API key', { exact: true }).waitFor();
      found.push(...(await axe(login)).map((v) => `${scheme} login: ${v}`));
      await login.close();
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(found).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
