import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { APPROVAL_OPERATIONS } from '../../../src/services/approvals/diffs.js';
import { endpoints } from '../api/endpoints.js';
import type { ApprovalView, PolicyView } from '../api/types.js';
import { Empty, ErrorState, QueryState } from '../components/states.js';
import { useToast } from '../components/toast.js';
import { Button, Card, Field, PageHeader, SelectField, StatusBadge, Table, tdClass } from '../components/ui.js';
import { formatAgo, formatTime } from '../lib/format.js';
import { useMe } from '../lib/use-me.js';

/** The approval inbox: what a request would change; another admin approves (it runs) or rejects (it never runs). */
export default function ApprovalsPage() {
  const [all, setAll] = useState(false);
  const me = useMe();
  const admin = me.data?.level === 'admin';
  const requests = useQuery({
    queryKey: ['approvals', all],
    queryFn: ({ signal }) => endpoints.approvals(all, signal),
    refetchInterval: 10_000,
  });
  return (
    <>
      <PageHeader
        title="Approvals"
        subtitle="Operations a policy holds until another admin says yes"
        actions={
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
            Show decided requests
          </label>
        }
      />
      <div className="space-y-5">
        <QueryState
          query={requests}
          empty={
            <Card>
              <Empty title={all ? 'No requests yet' : 'Nothing waits for approval'} />
            </Card>
          }
        >
          {(rows) => (
            <ul className="space-y-4" aria-label="Approval requests">
              {rows.map((r) => (
                <li key={r.jobId}>
                  <RequestCard r={r} canDecide={admin} />
                </li>
              ))}
            </ul>
          )}
        </QueryState>
        <Policies admin={admin} />
      </div>
    </>
  );
}

function RequestCard({ r, canDecide }: { r: ApprovalView; canDecide: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const decide = async (how: 'approve' | 'reject') => {
    setBusy(how);
    setError(null);
    try {
      const c = comment.trim() || undefined;
      if (how === 'approve') await endpoints.approve(r.jobId, c);
      else await endpoints.reject(r.jobId, c);
      toast.success(how === 'approve' ? `Approved: ${r.operation} ${r.target} runs now` : `Rejected ${r.operation}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
      await qc.invalidateQueries({ queryKey: ['approvals'] });
      await qc.invalidateQueries({ queryKey: ['jobs'] });
    }
  };
  return (
    <Card
      title={
        <span data-request={r.jobId}>
          {r.operation} <span className="font-normal">{r.target}</span>
        </span>
      }
      actions={<StatusBadge status={r.state === 'pending' ? 'approval_pending' : r.state} />}
    >
      <dl className="mb-3 grid gap-x-6 gap-y-1 text-sm sm:grid-cols-2">
        <div>
          <dt className="inline text-zinc-500 dark:text-zinc-400">Requested by </dt>
          <dd className="inline">
            <span className="font-medium">{r.requestedBy}</span>{' '}
            <span className="text-zinc-500 dark:text-zinc-400">{formatAgo(r.requestedAt)}</span>
          </dd>
        </div>
        <div>
          <dt className="inline text-zinc-500 dark:text-zinc-400">Policy </dt>
          <dd className="inline">{r.policy}</dd>
        </div>
        <div>
          <dt className="inline text-zinc-500 dark:text-zinc-400">{r.state === 'pending' ? 'Expires ' : 'Decided '}</dt>
          <dd className="inline">
            {r.state === 'pending'
              ? formatTime(r.expiresAt)
              : `${formatTime(r.decidedAt)}${r.decidedBy ? ` by ${r.decidedBy}` : ''}`}
          </dd>
        </div>
        <div>
          <dt className="inline text-zinc-500 dark:text-zinc-400">Job </dt>
          <dd className="inline">
            <Link
              to={`/jobs/${r.jobId}`}
              className="font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400"
            >
              {r.jobId.slice(0, 8)}
            </Link>{' '}
            <StatusBadge status={r.jobStatus} />
          </dd>
        </div>
        {r.comment ? (
          <div className="sm:col-span-2">
            <dt className="inline text-zinc-500 dark:text-zinc-400">Comment </dt>
            <dd className="inline">{r.comment}</dd>
          </div>
        ) : null}
      </dl>
      {r.diff.length ? (
        <Table head={['What changes', 'Now', 'After']} label={`Changes of ${r.operation} ${r.target}`}>
          {r.diff.map((d) => (
            <tr key={d.field}>
              <td className={`${tdClass} font-medium`}>{d.field}</td>
              <td className={`${tdClass} font-mono text-xs text-red-700 dark:text-red-300`}>{d.before ?? '—'}</td>
              <td className={`${tdClass} font-mono text-xs text-emerald-700 dark:text-emerald-300`}>
                {d.after ?? '—'}
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
      {r.state === 'pending' && canDecide ? (
        <div className="mt-4 flex flex-wrap items-end gap-2">
          <Field
            label="Comment"
            className="min-w-60 flex-1"
            value={comment}
            maxLength={500}
            onChange={(e) => setComment(e.target.value)}
          />
          <Button
            variant="primary"
            busy={busy === 'approve'}
            disabled={busy !== null}
            onClick={() => decide('approve')}
          >
            Approve
          </Button>
          <Button variant="danger" busy={busy === 'reject'} disabled={busy !== null} onClick={() => decide('reject')}>
            Reject
          </Button>
        </div>
      ) : null}
      {error ? (
        <div className="mt-3">
          <ErrorState error={error} />
        </div>
      ) : null}
    </Card>
  );
}

function Policies({ admin }: { admin: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const policies = useQuery({ queryKey: ['policies'], queryFn: ({ signal }) => endpoints.policies(signal) });
  const [draft, setDraft] = useState({ operation: APPROVAL_OPERATIONS[0] as string, label: '', expires: '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const refresh = () => qc.invalidateQueries({ queryKey: ['policies'] });
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await endpoints.setPolicy({
        operation: draft.operation,
        ...(draft.label.trim() ? { serverLabel: draft.label.trim() } : {}),
        ...(draft.expires.trim() ? { expires: draft.expires.trim() } : {}),
      });
      toast.success(`${draft.operation} now needs approval`);
      setDraft({ ...draft, label: '', expires: '' });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      await refresh();
    }
  };
  const remove = async (p: PolicyView) => {
    try {
      await endpoints.unsetPolicy(p.operation, p.serverLabel);
      toast.success(`${p.operation} no longer needs approval${p.serverLabel ? ` on ${p.serverLabel}` : ''}`);
    } catch (err) {
      toast.error(`Could not remove the policy for ${p.operation}`, err);
    } finally {
      await refresh();
    }
  };
  return (
    <Card title="Policies">
      <QueryState query={policies} empty={<Empty title="No operation needs approval" />}>
        {(rows) => (
          <Table head={['Operation', 'Where', 'Requests expire after', 'Set by', '']} label="Approval policies">
            {rows.map((p) => (
              <tr key={`${p.operation}/${p.serverLabel ?? ''}`} data-policy={p.operation}>
                <td className={`${tdClass} font-mono text-xs`}>{p.operation}</td>
                <td className={tdClass}>{p.serverLabel ? `servers labelled ${p.serverLabel}` : 'every server'}</td>
                <td className={`${tdClass} tabular-nums`}>{Math.round(p.expiresAfterSeconds / 3600)} h</td>
                <td className={`${tdClass} text-xs text-zinc-500 dark:text-zinc-400`}>{p.createdBy}</td>
                <td className={`${tdClass} text-right`}>
                  {admin ? (
                    <Button variant="danger" onClick={() => void remove(p)}>
                      Remove
                    </Button>
                  ) : null}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
      {admin ? (
        <form onSubmit={add} className="mt-4 grid gap-3 sm:grid-cols-4 sm:items-end" aria-label="Add a policy">
          <SelectField
            label="Operation"
            value={draft.operation}
            onChange={(e) => setDraft({ ...draft, operation: e.target.value })}
          >
            {APPROVAL_OPERATIONS.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </SelectField>
          <Field
            label="Only on servers labelled"
            placeholder="env=prod (empty: every server)"
            value={draft.label}
            onChange={(e) => setDraft({ ...draft, label: e.target.value })}
          />
          <Field
            label="Expire requests after"
            placeholder="24h"
            value={draft.expires}
            onChange={(e) => setDraft({ ...draft, expires: e.target.value })}
          />
          <Button type="submit" variant="primary" busy={busy}>
            Require approval
          </Button>
          {error ? (
            <div className="sm:col-span-4">
              <ErrorState error={error} />
            </div>
          ) : null}
        </form>
      ) : null}
    </Card>
  );
}
