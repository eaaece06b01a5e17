// `approval.requested` from the built CLI: a removal a policy holds exits 8 and, before the command ends, the CLI
// itself delivers the event it raised to a real webhook receiver on loopback (signed; no `infrakt serve` running).
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';

const SECRET = 'cli-approvals-receiver-secret';
let home: string;
let server: Server;
let url = '';
const got: { event: string; verified: boolean; body: { type: string; text: string; data: Record<string, unknown> } }[] =
  [];
const cli = (args: string[], input?: string) => runCli(args, { home, ...(input !== undefined ? { input } : {}) });

beforeAll(async () => {
  home = makeInfraktHome();
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (b: Buffer) => {
      text += b.toString();
    });
    req.on('end', () => {
      const t = String(req.headers['x-infrakt-timestamp']);
      got.push({
        event: String(req.headers['x-infrakt-event']),
        verified:
          `sha256=${createHmac('sha256', SECRET).update(`${t}.${text}`).digest('hex')}` ===
          req.headers['x-infrakt-signature'],
        body: JSON.parse(text),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  cleanupHomes();
});

describe('approval.requested from the CLI', () => {
  it('a held removal exits 8 and its event reaches the channel before the command ends', async () => {
    const steps: [string[], string?][] = [
      [
        [
          'notify',
          'add',
          'admins',
          '--type',
          'webhook',
          '--url',
          url,
          '--secret-stdin',
          '--events',
          'approval.requested',
        ],
        SECRET,
      ],
      [['server', 'add', '--name', 's1', '--host', 'local', '--root', join(home, 's1')]],
      [['policy', 'set', 'server.remove']],
    ];
    for (const [args, input] of steps) {
      const r = await cli(args, input);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const held = await cli(['server', 'remove', 's1', '-y']);
    expect(held.code, held.stderr).toBe(EXIT_CODES.APPROVAL_PENDING);
    const jobId = /request (\S+) waits/.exec(held.stderr)?.[1];
    expect(jobId, held.stderr).toBeTruthy();

    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ event: 'approval.requested', verified: true });
    expect(got[0]!.body).toMatchObject({
      type: 'approval.requested',
      data: { job: jobId, operation: 'server.remove', target: 's1' },
    });
    expect(got[0]!.body.text).toContain(`infrakt approval approve ${jobId}`);
    // Held, not done: the server is still there, and the delivery log says it went out.
    expect((await cli(['server', 'list', '--json'])).stdout).toContain('"s1"');
    const log = await cli(['notify', 'deliveries', '--json']);
    expect(JSON.parse(log.stdout)).toEqual([
      expect.objectContaining({ event: 'approval.requested', status: 'delivered' }),
    ]);
  }, 120_000);
});
