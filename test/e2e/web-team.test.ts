// The team pages of the dashboard in real Chromium against `infrakt serve` on loopback: the approval inbox (the
// requester is refused their own request; another admin approves one removal, which runs, and rejects another,
// which never runs), users (add, change role, remove), API tokens (secret shown once, works, revoked → refused)
// and the audit log with its chain check, which turns red once a row is edited in the database.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { cleanupHomes, ensureCliBuilt, ensureWebBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { type Served, startServe } from '../harness/serve.js';
import { waitFor } from '../harness/sshd.js';
import { signedInPage } from '../harness/web-pages.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

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
const owner = async (path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, { ...init, headers: { ...init.headers, 'X-API-Key': ownerKey } });
const serverNames = async () =>
  ((await (await owner('/api/servers')).json()) as { name: string }[]).map((s) => s.name).sort();

/** A signed-in page of its own (its own cookie jar). */
const signedIn = (name: string) => signedInPage(browser, base, name);

beforeAll(async () => {
  ensureCliBuilt();
  ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  home = makeInfraktHome();
  // Two "this machine" servers (no SSH involved), their state roots inside the test's home.
  for (const s of ['s1', 's2']) await cli(['server', 'add', '--name', s, '--host', 'local', '--root', join(home, s)]);
  await cli(['policy', 'set', 'server.remove']);
  for (const u of ['alice', 'bob']) await cli(['user', 'add', u, '--role', 'admin'], `${u}-password-long`);
  child = await startServe(home, { ready: /reverse proxy/ });
  base = child.base;
  ownerKey = readFileSync(join(home, 'api_key'), 'utf8').trim();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await child?.stop();
  cleanupHomes();
});

describe('dashboard team pages', () => {
  it('approval inbox: not your own; another admin approves (it runs) or rejects (it never runs)', async () => {
    const alice = await signedIn('alice');
    // Alice asks for both removals from her session; the policy holds them.
    const csrf = String(await alice.evaluate("localStorage.getItem('infrakt.apiKey')")).slice('session:'.length);
    const held = await alice.evaluate(async (token) => {
      const out: { status: number; jobId: string; job: { status: string } }[] = [];
      for (const s of ['s1', 's2']) {
        const r = await fetch(`/api/servers/${s}`, { method: 'DELETE', headers: { 'X-CSRF-Token': token } });
        out.push({ status: r.status, ...((await r.json()) as { jobId: string; job: { status: string } }) });
      }
      return out;
    }, csrf);
    expect(held.map((h) => [h.status, h.job.status])).toEqual([
      [202, 'approval_pending'],
      [202, 'approval_pending'],
    ]);
    const [s1Job, s2Job] = held.map((h) => h.jobId) as [string, string];

    await alice.getByRole('link', { name: 'Approvals' }).first().click();
    const own = alice.getByRole('listitem').filter({ has: alice.locator(`[data-request="${s1Job}"]`) });
    // The refusal is about the action, not her credential: the page checks who she is and keeps her signed in.
    const probed = alice.waitForResponse((r) => r.url().endsWith('/api/auth/me') && r.request().method() === 'GET');
    await own.getByRole('button', { name: 'Approve' }).click();
    await own.getByRole('alert').filter({ hasText: 'cannot approve your own request' }).waitFor();
    expect((await probed).status()).toBe(200);
    await alice.getByRole('link', { name: 'Jobs' }).first().click();
    await alice.getByRole('heading', { name: 'Jobs' }).waitFor();
    expect(await serverNames()).toEqual(['s1', 's2']);

    const bob = await signedIn('bob');
    await bob.getByRole('link', { name: 'Approvals' }).first().click();
    const first = bob.getByRole('listitem').filter({ has: bob.locator(`[data-request="${s1Job}"]`) });
    const second = bob.getByRole('listitem').filter({ has: bob.locator(`[data-request="${s2Job}"]`) });
    await first.getByText('Requested by').waitFor();
    expect(await first.textContent()).toContain('alice');
    expect(await first.getByRole('table').count()).toBe(1);
    await bob.screenshot({ path: join(SHOTS, 'team-02-approvals.png'), fullPage: true });
    await first.getByLabel('Comment').fill('planned decommission');
    await first.getByRole('button', { name: 'Approve' }).click();
    await second.getByRole('button', { name: 'Reject' }).click();
    // Both leave the pending inbox.
    await bob.getByText('Nothing waits for approval').waitFor();
    await waitFor(
      'the approved removal to run',
      async () => {
        const job = (await (await owner(`/api/jobs/${s1Job}`)).json()) as { status: string };
        if (job.status === 'failed') throw new Error(`the approved job failed: ${JSON.stringify(job)}`);
        return job.status === 'succeeded';
      },
      60_000,
    );
    expect(await serverNames()).toEqual(['s2']);
    expect(((await (await owner(`/api/jobs/${s2Job}`)).json()) as { status: string }).status).toBe('rejected');
    await bob.getByLabel('Show decided requests').check();
    await first.getByText('by bob').waitFor();
    expect(await first.textContent()).toContain('planned decommission');
    await alice.context().close();
    await bob.context().close();
  }, 180_000);

  it('users: add, change role, remove; tokens: shown once, used, revoked', async () => {
    const bob = await signedIn('bob');
    await bob.getByRole('link', { name: 'Users' }).first().click();
    await bob.getByRole('button', { name: 'Add user' }).click();
    const dialog = bob.getByRole('dialog');
    await dialog.getByLabel('Name').fill('dana');
    await dialog.getByLabel('Initial password').fill('short');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    // Refused at the boundary, with the field named; nothing added.
    await dialog.getByText(/at least 10 characters/).waitFor();
    await dialog.getByLabel('Initial password').fill('dana-password-long');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await bob.locator('tr[data-user="dana"]').waitFor();
    await bob.getByLabel('Role of dana').selectOption('deployer');
    await waitFor(
      'dana to become a deployer',
      async () =>
        ((await (await owner('/api/users')).json()) as { name: string; role: string }[]).some(
          (u) => u.name === 'dana' && u.role === 'deployer',
        ),
      20_000,
    );
    await bob.locator('tr[data-user="dana"]').getByRole('button', { name: 'Remove' }).click();
    await bob.getByRole('dialog').getByLabel('Type dana to confirm').fill('dana');
    await bob.getByRole('dialog').getByRole('button', { name: 'Remove user' }).click();
    await bob.locator('tr[data-user="dana"]').waitFor({ state: 'detached' });
    expect(((await (await owner('/api/users')).json()) as { name: string }[]).map((u) => u.name).sort()).toEqual([
      'alice',
      'bob',
    ]);

    await bob.getByRole('link', { name: 'API tokens' }).first().click();
    await bob.getByRole('button', { name: 'Create token' }).click();
    await bob.getByRole('dialog').getByLabel('Name').fill('ci');
    await bob.getByRole('dialog').getByLabel('Scope').selectOption('deploy');
    await bob.getByRole('dialog').getByLabel('Expires after').fill('30d');
    await bob.getByRole('dialog').getByRole('button', { name: 'Create token' }).click();
    const secret = (await bob.getByLabel('Token secret').textContent())?.trim() ?? '';
    expect(secret.length).toBeGreaterThan(20);
    const asToken = () => fetch(`${base}/api/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
    const me = await asToken();
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: 'token', level: 'deploy' });
    await bob.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    // Never shown again: neither the page nor the API holds it any more.
    expect(await bob.content()).not.toContain(secret);
    expect(await (await owner('/api/tokens')).text()).not.toContain(secret);
    const row = bob.locator('tr[data-token="ci"]');
    await row.getByText('active').waitFor();
    await row.getByRole('button', { name: 'Revoke' }).click();
    await bob.getByRole('dialog').getByLabel('Type ci to confirm').fill('ci');
    await bob.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('revoked').waitFor();
    const refused = await asToken();
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe('API token ci is revoked');
    await bob.screenshot({ path: join(SHOTS, 'team-03-tokens.png'), fullPage: true });
    await bob.context().close();
  }, 180_000);

  it('audit log: filtered entries, the chain verifies, an edited row is named', async () => {
    const bob = await signedIn('bob');
    await bob.getByRole('link', { name: 'Audit log' }).first().click();
    await bob.getByRole('status').filter({ hasText: 'Chain intact' }).waitFor();
    await bob.getByLabel('Action').fill('approval.*');
    await bob.getByRole('button', { name: 'Filter' }).click();
    const table = bob.getByRole('table', { name: 'Audit log' });
    await table.getByText('approval.approve').waitFor();
    const actions = await table.locator('tbody td:nth-child(4)').allTextContents();
    expect(actions.length).toBeGreaterThanOrEqual(3);
    expect(actions.every((a) => a.startsWith('approval.'))).toBe(true);
    expect(actions).toEqual(expect.arrayContaining(['approval.request', 'approval.approve', 'approval.reject']));

    // Someone with the database file edits history: the page names the entry.
    const db = new BetterSqlite3(join(home, 'infrakt.db'));
    const victim = db
      .prepare("SELECT id, seq FROM audit_events WHERE action = 'approval.approve' ORDER BY seq LIMIT 1")
      .get() as { id: number; seq: number };
    db.prepare("UPDATE audit_events SET target = 'nothing-happened' WHERE id = ?").run(victim.id);
    db.close();
    await bob.getByRole('button', { name: 'Verify again' }).click();
    await bob
      .getByRole('alert')
      .filter({ hasText: `Entry #${victim.seq} is altered` })
      .waitFor();
    await bob.screenshot({ path: join(SHOTS, 'team-04-audit-altered.png'), fullPage: true });
    await bob.context().close();
  }, 180_000);
});
