import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InfraktError, validation } from '../../core/errors.js';
import { CHANNEL_TYPES, type ChannelAddInput, NOTIFY_EVENTS } from '../../core/schemas/notifications.js';
import { addChannel, listChannels, removeChannel } from '../../services/notifications/channels.js';
import { listNotifyDeliveries, testChannel } from '../../services/notifications/deliveries.js';
import { withCtx } from '../context.js';
import { countOption, intOption } from '../options.js';
import { c, dash, printJson, printTable, status, success } from '../output.js';
import { confirm } from '../prompt.js';
import { readSecretInput } from '../secret-input.js';

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function eventsOption(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v.trim() === 'all' ? [...NOTIFY_EVENTS] : list(v);
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw validation(`cannot read --smtp-ca ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** `notify add|list|test|remove|deliveries`: notification channels (services/notifications). */
export function registerNotifyCommands(notify: Command): void {
  notify
    .command('add <name>')
    .description(
      'add a channel: webhook (signed JSON), slack, discord (incoming webhook URL read from stdin or typed hidden) or email (SMTP)',
    )
    .requiredOption('--type <type>', CHANNEL_TYPES.join(' | '))
    .option('--url <url>', 'webhook: the receiver URL (slack/discord URLs hold a token: they are read from stdin)')
    .option('--secret-stdin', 'webhook: read the signing secret from stdin instead of generating one')
    .option(
      '--events <list>',
      `comma-separated events, or "all" (default: all but backup.succeeded): ${NOTIFY_EVENTS.join(', ')}`,
    )
    .option('--smtp-host <host>', 'email: SMTP server')
    .option('--smtp-port <port>', 'email: SMTP port (587 STARTTLS, 465 TLS)', intOption)
    .option('--smtp-security <mode>', 'email: starttls (default; refuses a server without it) | tls | none')
    .option('--smtp-user <user>', 'email: login (the password is read from stdin or typed hidden)')
    .option('--smtp-ca <file>', 'email: PEM CA certificate to trust for this server')
    .option('--from <address>', 'email: sender address')
    .option('--to <addresses>', 'email: recipients, comma-separated')
    .option('--json', 'print the channel as JSON')
    .action(async (name: string, o) => {
      const type = o.type as ChannelAddInput['type'];
      if (!CHANNEL_TYPES.includes(type))
        throw validation(`unknown channel type '${o.type}'`, `use ${CHANNEL_TYPES.join(', ')}`);
      if ((type === 'slack' || type === 'discord') && o.url) {
        throw validation(
          `a ${type} webhook URL carries its token: not on the command line`,
          `pipe it: printf %s "$URL" | infrakt notify add ${name} --type ${type}`,
        );
      }
      const input: ChannelAddInput = { name, type, events: eventsOption(o.events) as ChannelAddInput['events'] };
      if (type === 'webhook') {
        input.url = o.url;
        if (o.secretStdin) input.secret = await readSecretInput('signing secret');
      } else if (type !== 'email') {
        input.url = await readSecretInput(`${type} incoming webhook URL`);
      } else {
        input.smtp = {
          host: o.smtpHost,
          ...(o.smtpPort !== undefined ? { port: o.smtpPort } : {}),
          ...(o.smtpSecurity ? { security: o.smtpSecurity } : {}),
          ...(o.smtpUser ? { user: o.smtpUser, password: await readSecretInput('SMTP password') } : {}),
          ...(o.smtpCa ? { ca: readCa(o.smtpCa) } : {}),
          from: o.from,
          to: o.to ? list(o.to) : [],
        } as NonNullable<ChannelAddInput['smtp']>;
      }
      await withCtx(async (ctx) => {
        const ch = await addChannel(ctx, input);
        if (o.json) return printJson(ch);
        success(`added ${ch.type} channel ${c.bold(ch.name)} → ${ch.target}`);
        process.stdout.write(`  events: ${ch.events.join(', ')}\n`);
        if (ch.secret) {
          process.stdout.write(`  signing secret (shown once): ${ch.secret}\n`);
          process.stdout.write('  verify X-Infrakt-Signature with it (docs/notifications.md)\n');
        }
        process.stdout.write(`  try it: infrakt notify test ${ch.name}\n`);
      });
    });

  notify
    .command('list')
    .description('channels with their events and last delivery')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rows = await listChannels(ctx);
        if (o.json) return printJson(rows);
        printTable(
          ['NAME', 'TYPE', 'TARGET', 'EVENTS', 'LAST DELIVERY'],
          rows.map((r) => [
            r.name,
            r.type,
            r.target,
            r.events.length === NOTIFY_EVENTS.length ? 'all' : r.events.join(','),
            r.lastDelivery ? `${status(r.lastDelivery.status)} ${r.lastDelivery.at}` : '-',
          ]),
          'no channels yet — add one with: infrakt notify add <name> --type webhook --url <url>',
        );
      });
    });

  notify
    .command('test <name>')
    .description('send a test message to a channel now and report the answer')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const r = await testChannel(ctx, name);
        if (o.json) printJson(r);
        else if (r.ok) success(`${name}: delivered in ${r.ms} ms${r.responseCode ? ` (${r.responseCode})` : ''}`);
        if (!r.ok)
          throw new InfraktError('COMMAND_FAILED', `${name}: ${r.error}`, {
            hint: 'check the channel settings, then: infrakt notify remove and add it again',
          });
      });
    });

  notify
    .command('remove <name>')
    .description('remove a channel and its queued deliveries')
    .option('--force', 'do not ask')
    .option('-y, --yes', 'same as --force: answer yes to the confirmation')
    .action(async (name: string, o) => {
      if (!o.force && !o.yes)
        await confirm(
          `remove notification channel ${name} and its queued deliveries?`,
          'pass -y/--yes (or --force) to skip this question',
        );
      await withCtx(async (ctx) => {
        await removeChannel(ctx, name);
        success(`removed channel ${c.bold(name)}`);
      });
    });

  notify
    .command('deliveries')
    .description('the delivery log, newest first: event, channel, status, attempts, last error')
    .option('--channel <name>', 'only this channel')
    .option('--limit <n>', 'how many (1-500)', countOption(500), 30)
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rows = await listNotifyDeliveries(ctx, { channel: o.channel, limit: o.limit });
        if (o.json) return printJson(rows);
        printTable(
          ['ID', 'CHANNEL', 'EVENT', 'STATUS', 'TRIES', 'WHEN', 'TEXT', 'ERROR'],
          rows.map((r) => [
            String(r.id),
            r.channel,
            r.event,
            status(r.status),
            String(r.attempts),
            r.deliveredAt ?? r.nextAttemptAt ?? r.createdAt,
            r.text.slice(0, 60),
            dash(r.lastError?.slice(0, 60)),
          ]),
          'no deliveries yet',
        );
      });
    });
}
