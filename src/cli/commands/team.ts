import type { Command } from 'commander';
import { InfraktError } from '../../core/errors.js';
import { approveRequest, getApproval, listApprovals, rejectRequest } from '../../services/approvals/approvals.js';
import { listPolicies, setPolicy, unsetPolicy } from '../../services/approvals/policies.js';
import { claimAndRun } from '../../services/approvals/run-approved.js';
import { listAudit, verifyAudit } from '../../services/audit/audit-log.js';
import { createToken, listTokens, revokeToken } from '../../services/tokens/tokens.js';
import { addUser, listUsers, removeUser, setPassword, updateUser } from '../../services/users/users.js';
import { withCtx } from '../context.js';
import { countOption } from '../options.js';
import { c, dash, info, printJson, printTable, success } from '../output.js';
import { confirm } from '../prompt.js';
import { readSecretInput } from '../read-secret.js';

const list = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

/** `infrakt user …`: people who sign in to the dashboard/API. The local CLI itself always acts as the owner. */
export function registerUserCommands(user: Command): void {
  user
    .command('add <name>')
    .description('add a user (password from stdin or a hidden prompt; --no-password: sign-in through OIDC only)')
    .requiredOption('--role <role>', 'viewer | deployer | admin')
    .option('--servers <a,b>', 'limit the user to these servers')
    .option('--email <address>', 'verified email, to match an OpenID Connect sign-in')
    .option('--no-password', 'no password: the user signs in only through an identity provider')
    .option('--json', 'print the user as JSON')
    .action(async (name: string, o) => {
      const password = o.password === false ? undefined : (await readSecretInput(`password for ${name}`)).reveal();
      await withCtx(async (ctx) => {
        const u = await addUser(ctx, {
          name,
          role: o.role,
          ...(o.servers ? { servers: list(o.servers) } : {}),
          ...(o.email ? { email: o.email } : {}),
          ...(password !== undefined ? { password } : {}),
        });
        if (o.json) return printJson(u);
        success(`added ${c.bold(u.name)} (${u.role}${u.servers ? `, servers ${u.servers.join(', ')}` : ''})`);
      });
    });

  user
    .command('list')
    .description('list users with their role, servers and open sessions')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rows = await listUsers(ctx);
        if (o.json) return printJson(rows);
        printTable(
          ['NAME', 'ROLE', 'SERVERS', 'EMAIL', 'PASSWORD', 'SESSIONS'],
          rows.map((u) => [
            u.name,
            u.role,
            u.servers ? u.servers.join(',') : 'all',
            dash(u.email),
            u.password ? 'yes' : 'no',
            String(u.sessions),
          ]),
          'no users yet — the API key and this CLI act as the owner; add one with: infrakt user add NAME --role viewer',
        );
      });
    });

  user
    .command('set <name>')
    .description("change a user's role or servers (their sessions keep working with the new rights)")
    .option('--role <role>', 'viewer | deployer | admin')
    .option('--servers <a,b>', 'limit to these servers; "all" lifts the limit')
    .option('--json', 'print the user as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const u = await updateUser(ctx, name, {
          ...(o.role ? { role: o.role } : {}),
          ...(o.servers ? { servers: o.servers === 'all' ? null : list(o.servers) } : {}),
        });
        if (o.json) return printJson(u);
        success(`${c.bold(u.name)} is now ${u.role}${u.servers ? ` on ${u.servers.join(', ')}` : ''}`);
      });
    });

  user
    .command('passwd <name>')
    .description("set a user's password (stdin or a hidden prompt); ends all their sessions")
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      const password = await readSecretInput(`new password for ${name}`);
      await withCtx(async (ctx) => {
        const r = await setPassword(ctx, name, password.reveal());
        if (o.json) return printJson(r);
        success(`password of ${c.bold(r.user)} changed; ${r.sessionsEnded} session(s) ended`);
      });
    });

  user
    .command('remove <name>')
    .description('remove a user and end their sessions (tokens are separate: see token list)')
    .option('-y, --yes', 'answer yes to the confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      if (!o.yes) await confirm(`Remove user ${name}?`, `pass -y/--yes to remove '${name}' without confirmation`);
      await withCtx(async (ctx) => {
        const r = await removeUser(ctx, name);
        if (o.json) return printJson(r);
        success(`removed user ${c.bold(r.removed)}`);
      });
    });
}

/** `infrakt token …`: scoped API tokens for CI and scripts. */
export function registerTokenCommands(token: Command): void {
  token
    .command('create')
    .description('create a scoped API token; the secret is printed once and stored only as a hash')
    .requiredOption('--name <name>', 'a name to recognise it by')
    .requiredOption('--scope <scope>', 'read | deploy | admin')
    .option('--app <app>', 'limit to this app')
    .option('--server <server>', 'limit to this server')
    .option('--expires <duration>', 'e.g. 30d, 12h; default: never')
    .option('--json', 'print the token (with its secret) as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const t = await createToken(ctx, {
          name: o.name,
          scope: o.scope,
          ...(o.app ? { app: o.app } : {}),
          ...(o.server ? { server: o.server } : {}),
          ...(o.expires ? { expires: o.expires } : {}),
        });
        if (o.json) return printJson(t);
        // Only the secret on stdout (TOKEN=$(infrakt token create …)); the words go to stderr.
        const until = t.token.expiresAt ? `, expires ${t.token.expiresAt}` : '';
        process.stderr.write(
          `created token ${t.token.name} (${t.token.scope}${until}); shown only now: send it as Authorization: Bearer <secret>\n`,
        );
        process.stdout.write(`${t.secret}\n`);
      });
    });

  token
    .command('list')
    .description('list tokens: scope, limits, status, last use, expiry (never the secrets)')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rows = await listTokens(ctx);
        if (o.json) return printJson(rows);
        printTable(
          ['NAME', 'PREFIX', 'SCOPE', 'APP', 'SERVER', 'STATUS', 'LAST USED', 'EXPIRES'],
          rows.map((t) => [
            t.name,
            t.prefix,
            t.scope,
            dash(t.app),
            dash(t.server),
            t.status,
            dash(t.lastUsedAt),
            dash(t.expiresAt),
          ]),
          'no tokens — create one with: infrakt token create --name ci --scope deploy',
        );
      });
    });

  token
    .command('revoke <name>')
    .description('revoke a token at once (it stays listed as revoked)')
    .option('--json', 'print the token as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const t = await revokeToken(ctx, name);
        if (o.json) return printJson(t);
        success(`revoked token ${c.bold(t.name)}`);
      });
    });
}

/** `infrakt audit …`: the tamper-evident log of every change. */
export function registerAuditCommands(audit: Command): void {
  audit
    .command('list')
    .description('audit entries, newest first (a trailing * matches a prefix)')
    .option('--actor <who>', 'e.g. alice, "token ci", owner key')
    .option('--target <target>', 'e.g. web, s1/web')
    .option('--action <action>', 'e.g. "POST /api/apps/:name/deploy", app.create')
    .option('--since <iso>', 'entries at or after this time, e.g. 2026-01-31T00:00:00Z')
    .option('--limit <n>', 'at most this many (default 100, at most 10000)', countOption(10_000))
    .option('--json', 'print as JSON')
    .action(async (o) => {
      if (o.since && Number.isNaN(Date.parse(o.since)))
        throw new InfraktError('VALIDATION', `invalid --since: '${o.since}' is not a time`, {
          hint: 'use an ISO time such as 2026-01-31T00:00:00Z',
        });
      await withCtx(async (ctx) => {
        const rows = await listAudit(ctx, {
          ...(o.actor ? { actor: o.actor } : {}),
          ...(o.target ? { target: o.target } : {}),
          ...(o.action ? { action: o.action } : {}),
          ...(o.since ? { since: new Date(o.since).toISOString() } : {}),
          ...(o.limit ? { limit: o.limit } : {}),
        });
        if (o.json) return printJson(rows);
        printTable(
          ['SEQ', 'TIME', 'ACTOR', 'ACTION', 'TARGET', 'RESULT', 'SOURCE'],
          rows.map((e) => [dash(e.seq), e.ts, e.actor, e.action, e.target, e.result, e.source]),
          'no audit entries match',
        );
      });
    });

  audit
    .command('verify')
    .description('check the hash chain: reports the first altered or missing entry (exit 6 when broken)')
    .option('--json', 'print the report as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const r = await verifyAudit(ctx);
        if (o.json) printJson(r);
        else if (r.ok) success(`audit log intact: ${r.entries} entries; head ${dash(r.head)}`);
        if (!r.ok) {
          throw new InfraktError('STATE', `audit log broken at entry ${r.problem?.seq}: ${r.problem?.message}`, {
            hint: 'restore the state database from a backup, and find out who changed it',
          });
        }
      });
    });
}

/** `infrakt approval …` and `infrakt policy …`: operations that need another admin's yes. */
export function registerApprovalCommands(approval: Command, policy: Command): void {
  approval
    .command('list')
    .description('pending requests (--all: decided ones too)')
    .option('--all', 'include approved, rejected and expired requests')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rows = await listApprovals(ctx, ctx.jobs, { all: Boolean(o.all) });
        if (o.json) return printJson(rows);
        printTable(
          ['JOB', 'OPERATION', 'TARGET', 'STATE', 'REQUESTED BY', 'EXPIRES'],
          rows.map((a) => [a.jobId, a.operation, a.target, a.state, a.requestedBy, a.expiresAt]),
          'no pending requests',
        );
      });
    });

  approval
    .command('show <job>')
    .description('one request with what it would change')
    .option('--json', 'print as JSON')
    .action(async (id: string, o) => {
      await withCtx(async (ctx) => {
        const a = await getApproval(ctx, ctx.jobs, id);
        if (o.json) return printJson(a);
        info(`${a.operation} ${a.target}: ${a.state}, requested by ${a.requestedBy} at ${a.requestedAt}`);
        printTable(
          ['FIELD', 'NOW', 'AFTER'],
          a.diff.map((d) => [d.field, dash(d.before), dash(d.after)]),
          '(no changes listed)',
        );
      });
    });

  approval
    .command('approve <job>')
    .description("approve another admin's request; it runs now, here")
    .option('--comment <text>', 'recorded with the decision')
    .option('--json', 'print the job record as JSON')
    .action(async (id: string, o) => {
      await withCtx(async (ctx) => {
        await approveRequest(ctx, ctx.jobs, id, o.comment);
        const h = await claimAndRun(ctx, id);
        if (h) await h.done.catch(() => undefined);
        const job = await ctx.jobs.get(id);
        if (o.json) return printJson(job);
        if (job.status !== 'succeeded')
          throw new InfraktError('COMMAND_FAILED', `approved; the job ${id} ${job.status}`, {
            hint: `see: infrakt job show ${id}`,
          });
        success(`approved and ran ${job.kind} ${job.target} (job ${id})`);
      });
    });

  approval
    .command('reject <job>')
    .description('reject a request: it never runs')
    .option('--comment <text>', 'recorded with the decision')
    .option('--json', 'print the job record as JSON')
    .action(async (id: string, o) => {
      await withCtx(async (ctx) => {
        const job = await rejectRequest(ctx, ctx.jobs, id, o.comment);
        if (o.json) return printJson(job);
        success(`rejected ${job.kind} ${job.target} (job ${id})`);
      });
    });

  policy
    .command('set <operation>')
    .description('require approval for an operation, e.g. app.destroy, db.restore, server.remove, app.deploy')
    .option('--server-label <k=v>', 'only on servers with this label, e.g. env=prod')
    .option('--expires <duration>', 'pending requests expire after this (default 24h)')
    .option('--json', 'print the policy as JSON')
    .action(async (operation: string, o) => {
      await withCtx(async (ctx) => {
        const p = await setPolicy(ctx, {
          operation,
          ...(o.serverLabel ? { serverLabel: o.serverLabel } : {}),
          ...(o.expires ? { expires: o.expires } : {}),
        });
        if (o.json) return printJson(p);
        success(`${p.operation}${p.serverLabel ? ` on servers labelled ${p.serverLabel}` : ''} now needs approval`);
      });
    });

  policy
    .command('list')
    .description('operations that need approval')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rows = await listPolicies(ctx);
        if (o.json) return printJson(rows);
        printTable(
          ['OPERATION', 'SERVER LABEL', 'EXPIRES AFTER', 'BY'],
          rows.map((p) => [p.operation, dash(p.serverLabel), `${p.expiresAfterSeconds}s`, p.createdBy]),
          'no policies: every operation runs at once',
        );
      });
    });

  policy
    .command('unset <operation>')
    .description('stop requiring approval for an operation')
    .option('--server-label <k=v>', 'the label the policy was set with')
    .option('--json', 'print the result as JSON')
    .action(async (operation: string, o) => {
      await withCtx(async (ctx) => {
        const r = await unsetPolicy(ctx, { operation, serverLabel: o.serverLabel ?? null });
        if (o.json) return printJson(r);
        success(`${operation} no longer needs approval`);
      });
    });
}
