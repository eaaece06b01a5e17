// Accessibility checks of dashboard pages with axe-core, injected into the page under test.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is; one line per violating node. */
export async function axe(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the dashboard's CSP (script-src 'self') does not govern.
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
       .then((r) => r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').split('\\n')[1]) })))`,
  )) as { id: string; nodes: string[] }[];
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} ${n}`));
}
