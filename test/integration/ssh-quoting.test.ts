// Hostile arguments rendered by core/cmd, run through a real /bin/sh (local executor) and through
// real sshd (ssh executor, whose remote login shell then runs our process-group wrapper): every
// payload must arrive byte-for-byte and no marker file may appear.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/adapters/connect.js';
import { LocalExecutor } from '../../src/adapters/local/local-executor.js';
import { exec } from '../../src/core/cmd/index.js';
import type { Executor } from '../../src/core/executor.js';
import { type SshdHost, sshdAvailable, startSshd, stopAllSshd } from '../harness/sshd.js';

const available = sshdAvailable();

function payloads(marker: string): string[] {
  const m = marker;
  const base = [
    `$(touch ${m})`,
    `\`touch ${m}\``,
    `; touch ${m}`,
    `&& touch ${m}`,
    `|| touch ${m}`,
    `| touch ${m}`,
    `& touch ${m} &`,
    `'; touch ${m}; '`,
    `"; touch ${m}; "`,
    `'"'"'; touch ${m}`,
    `\\'; touch ${m}; echo \\'`,
    `$(touch ${m})'`,
    `"$(touch ${m})"`,
    `'$(touch ${m})'`,
    `\n touch ${m}`,
    `a\ntouch ${m}\nb`,
    `\r\ntouch ${m}`,
    `> ${m}`,
    `>> ${m}`,
    `< /etc/passwd > ${m}`,
    `2> ${m}`,
    `$((1+1))$(touch ${m})`,
    `\${IFS}touch\${IFS}${m}`,
    `$IFS; touch ${m}`,
    `{touch,${m}}`,
    `*`,
    `/*`,
    `~`,
    `~root`,
    `?`,
    `[a-z]*`,
    `!`,
    `!!`,
    `#comment; touch ${m}`,
    `-n`,
    `-e`,
    `--help`,
    `-rf /`,
    `--`,
    `-`,
    `''`,
    `""`,
    `\\`,
    `\\\\`,
    `\\'`,
    `\\"`,
    `\\$(touch ${m})`,
    `unicode: ünïcödé 日本語 🚀 \u200b zero-width`,
    `emoji \u{1F4A9} and RTL \u202e override`,
    `tab\there`,
    `  leading and trailing spaces  `,
    ``,
    `=`,
    `A=B`,
    `PATH=/nowhere touch ${m}`,
    `%s %d %n`,
    `$0 $1 $@ $* $# $? $$ $!`,
    `eval touch ${m}`,
    `x'y"z\`w$v\\u`,
    `\x01\x02\x1b[31mcontrol\x7f`,
    `line1\nline2\n\n`,
    `trailing newline\n`,
    `'`,
    `"`,
    `\``,
    `$`,
    `$(`,
    `)`,
    `(touch ${m})`,
    `{ touch ${m}; }`,
  ];
  return base;
}

async function assertRoundTrip(ex: Executor, marker: string): Promise<void> {
  const list = payloads(marker);
  expect(list.length).toBeGreaterThanOrEqual(50);
  // One payload per command: `printf %s <arg>` must print exactly the argument.
  const each = await Promise.all(list.map((p) => ex.run(exec('printf', '%s', p))));
  expect(each.map((r) => ({ out: r.stdout, code: r.exitCode }))).toEqual(list.map((p) => ({ out: p, code: 0 })));
  // All at once as separate argv entries of one command, counted and echoed back NUL-separated.
  const r = await ex.run(exec('sh', '-c', 'printf "%s\\0" "$#" "$@"', 'sh', ...list));
  const parts = r.stdout.split('\0');
  expect(parts[0]).toBe(String(list.length));
  expect(parts.slice(1, -1)).toEqual(list);
  expect(existsSync(marker)).toBe(false);
}

describe('hostile arguments through a real /bin/sh (local executor)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-quote-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('arrive byte-for-byte, nothing executed', async () => {
    const ex = new LocalExecutor();
    const marker = join(dir, 'MARKER');
    // Run in the temp dir so a stray `touch MARKER` with a relative path would land here too.
    await assertRoundTrip(ex, marker);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe.skipIf(!available)('hostile arguments through sshd (ssh executor)', () => {
  let h: SshdHost;
  beforeAll(async () => {
    h = await startSshd();
  });
  afterAll(stopAllSshd);

  it('arrive byte-for-byte, nothing executed', async () => {
    const ex = await connect({
      name: 'quote',
      host: h.host,
      port: h.port,
      user: h.user,
      key_path: h.keyPath,
      host_key: h.hostKey,
      host_key_fingerprint: h.fingerprint,
    });
    try {
      await assertRoundTrip(ex, join(h.root, 'MARKER'));
      expect(readdirSync(h.root)).toEqual([]);
    } finally {
      await ex.close();
    }
  });
});
