import { useQuery } from '@tanstack/react-query';
import { ShieldAlert, ShieldCheck } from 'lucide-react';
import { useState } from 'react';
import { endpoints } from '../api/endpoints.js';
import type { AuditQuery, AuditVerify } from '../api/types.js';
import { Empty, QueryState } from '../components/states.js';
import { Button, Card, Field, PageHeader, Table, tdClass } from '../components/ui.js';
import { formatTime } from '../lib/format.js';

/** A datetime-local value (the browser's local time) as the ISO time the API takes; '' stays ''. */
const toIso = (local: string) => {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
};

/** The audit log (who changed what, from where, with what result) and the check of its hash chain. */
export default function AuditPage() {
  const [draft, setDraft] = useState({ actor: '', target: '', action: '', since: '' });
  const [filter, setFilter] = useState<AuditQuery>({ limit: 500 });
  const entries = useQuery({
    queryKey: ['audit', filter],
    queryFn: ({ signal }) => endpoints.audit(filter, signal),
  });
  const verify = useQuery({ queryKey: ['audit', 'verify'], queryFn: ({ signal }) => endpoints.auditVerify(signal) });
  return (
    <>
      <PageHeader title="Audit log" subtitle="Every change, chained by hashes: an edited or deleted entry shows" />
      <div className="space-y-5">
        <Card
          title="Integrity"
          actions={
            <Button busy={verify.isFetching} onClick={() => void verify.refetch()}>
              Verify again
            </Button>
          }
        >
          <QueryState query={verify}>{(v) => <VerifyResult v={v} />}</QueryState>
        </Card>
        <Card title="Entries">
          <form
            className="mb-4 grid gap-3 sm:grid-cols-5 sm:items-end"
            onSubmit={(e) => {
              e.preventDefault();
              setFilter({ ...draft, since: toIso(draft.since), limit: 500 });
            }}
          >
            <Field
              label="Actor"
              hint="exact, or a prefix ending in *"
              value={draft.actor}
              onChange={(e) => setDraft({ ...draft, actor: e.target.value })}
            />
            <Field
              label="Target"
              value={draft.target}
              onChange={(e) => setDraft({ ...draft, target: e.target.value })}
            />
            <Field
              label="Action"
              placeholder="e.g. approval.*"
              value={draft.action}
              onChange={(e) => setDraft({ ...draft, action: e.target.value })}
            />
            <Field
              label="Since"
              type="datetime-local"
              value={draft.since}
              onChange={(e) => setDraft({ ...draft, since: e.target.value })}
            />
            <Button type="submit" variant="primary">
              Filter
            </Button>
          </form>
          <QueryState query={entries} empty={<Empty title="No entries match" />}>
            {(rows) => (
              <Table
                head={['#', 'When', 'Actor', 'Action', 'Target', 'Result', 'From', 'Parameters']}
                label="Audit log"
                scrollable
              >
                {rows.map((a, i) => (
                  <tr key={a.seq ?? `u${i}`} data-seq={a.seq ?? ''}>
                    <td className={`${tdClass} tabular-nums text-zinc-500 dark:text-zinc-400`}>{a.seq ?? '—'}</td>
                    <td className={`${tdClass} whitespace-nowrap text-zinc-500 dark:text-zinc-400`}>
                      {formatTime(a.ts)}
                    </td>
                    <td className={tdClass}>
                      {a.actor} <span className="text-xs text-zinc-500 dark:text-zinc-400">({a.actorKind})</span>
                    </td>
                    <td className={`${tdClass} font-mono text-xs`}>{a.action}</td>
                    <td className={tdClass}>{a.target}</td>
                    <td className={`${tdClass} text-xs`}>{a.result}</td>
                    <td className={`${tdClass} font-mono text-xs`}>{a.source}</td>
                    <td className={`${tdClass} max-w-56 truncate font-mono text-xs`} title={JSON.stringify(a.params)}>
                      {Object.keys(a.params).length ? JSON.stringify(a.params) : ''}
                    </td>
                  </tr>
                ))}
              </Table>
            )}
          </QueryState>
        </Card>
      </div>
    </>
  );
}

function VerifyResult({ v }: { v: AuditVerify }) {
  if (v.ok) {
    return (
      <p role="status" className="flex items-center gap-2 text-sm text-emerald-800 dark:text-emerald-300">
        <ShieldCheck aria-hidden className="size-5" />
        <span>
          Chain intact: {v.entries} entries
          {v.unsealed ? `, ${v.unsealed} from before the chain` : ''}
          {v.head ? (
            <>
              {' '}
              · head <span className="font-mono text-xs">{v.head.slice(0, 16)}</span>
            </>
          ) : null}
        </span>
      </p>
    );
  }
  return (
    <div
      role="alert"
      className="flex items-start gap-2 rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-300"
    >
      <ShieldAlert aria-hidden className="mt-0.5 size-5 shrink-0" />
      <div>
        <p className="font-medium">
          {v.problem
            ? `Entry #${v.problem.seq} is ${v.problem.kind}: ${v.problem.message}`
            : 'The chain does not verify'}
        </p>
        <p className="mt-1">
          {v.entries} entries checked. Compare with a copy you trust; the CLI gives the same answer: infrakt audit
          verify
        </p>
      </div>
    </div>
  );
}
