// Dashboard pages for the browser tests (Chromium from launchChromium()): each page in a browser context of its
// own, so every user has their own cookie jar and storage, and every locator waits up to one deadline sized for a
// busy machine.
import type { Browser, Page } from 'playwright-core';

export interface PageOptions {
  readonly viewport?: { width: number; height: number };
  /** How long a locator waits (Playwright's default timeout for the context). */
  readonly timeoutMs?: number;
}

/** A page in a new browser context. Close it with `page.context().close()` (closing the browser does too). */
export async function newPage(browser: Browser, opts: PageOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 900 } });
  context.setDefaultTimeout(opts.timeoutMs ?? 20_000);
  return context.newPage();
}

/**
 * A page signed in as team member `name` through the login form of the dashboard at `base`, once the dashboard
 * shows. The tests create their users with the password `${name}-password-long`.
 */
export async function signedInPage(browser: Browser, base: string, name: string, opts: PageOptions = {}) {
  const page = await newPage(browser, opts);
  await page.goto(`${base}/`);
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(`${name}-password-long`);
  await page.getByRole('button', { name: 'Log in as team member' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  return page;
}
