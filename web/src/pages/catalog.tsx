import { useQuery } from '@tanstack/react-query';
import { ShieldAlert } from 'lucide-react';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import type { CatalogEntrySummary } from '../api/types.js';
import { CatalogInstalledList } from '../components/catalog-installed.js';
import { CatalogStacks } from '../components/stack-install.js';
import { Empty, QueryState } from '../components/states.js';
import { PageHeader } from '../components/ui.js';

function EntryCard({ e }: { e: CatalogEntrySummary }) {
  return (
    <li>
      <Link
        to={`/catalog/${encodeURIComponent(e.id)}`}
        data-entry={e.id}
        className="flex h-full flex-col gap-2 rounded-lg border border-zinc-200 bg-white p-4 hover:border-indigo-400 hover:shadow-sm focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-zinc-800 dark:bg-zinc-900"
      >
        <span className="flex items-center gap-3">
          <span
            aria-hidden
            className="grid size-10 shrink-0 place-items-center rounded-md bg-zinc-100 text-2xl dark:bg-zinc-800"
          >
            {e.icon}
          </span>
          <span className="min-w-0">
            <span className="block truncate font-semibold">{e.name}</span>
            <span className="block text-xs text-zinc-500 dark:text-zinc-400">
              {e.version} · {e.category} · {e.kind === 'host' ? 'host installer' : 'app'}
            </span>
          </span>
        </span>
        <span className="line-clamp-3 text-sm text-zinc-600 dark:text-zinc-400">{e.description}</span>
        {e.dockerSocket === 'direct' ? (
          <span className="mt-auto flex items-center gap-1 text-xs font-medium text-red-600 dark:text-red-400">
            <ShieldAlert aria-hidden className="size-3.5" /> Full control of this server
          </span>
        ) : e.dockerSocket === 'proxy' ? (
          <span className="mt-auto text-xs text-zinc-500 dark:text-zinc-400">Docker access through a socket proxy</span>
        ) : null}
      </Link>
    </li>
  );
}

export default function CatalogPage() {
  const q = useQuery({ queryKey: ['catalog'], queryFn: ({ signal }) => endpoints.catalog(signal) });
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  const categories = useMemo(() => [...new Set((q.data ?? []).map((e) => e.category))].sort(), [q.data]);
  const shown = useMemo(() => {
    const s = search.trim().toLowerCase();
    return (q.data ?? []).filter(
      (e) =>
        (!category || e.category === category) &&
        (!s || [e.id, e.name, e.description, e.category, ...e.tags].some((t) => t.toLowerCase().includes(s))),
    );
  }, [q.data, search, category]);
  return (
    <>
      <PageHeader title="Catalog" subtitle="One-click apps deployed like any app, and installers run on the server" />
      <CatalogInstalledList />
      <div className="mb-4 flex flex-wrap items-center gap-2">
        <input
          type="search"
          aria-label="Search the catalog"
          placeholder="Search…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          className="w-64 rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-900"
        />
        <fieldset aria-label="Categories" className="flex flex-wrap gap-1">
          {['', ...categories].map((c) => (
            <button
              key={c || 'all'}
              type="button"
              aria-pressed={category === c}
              onClick={() => setCategory(c)}
              className={`rounded-full px-2.5 py-1 text-xs font-medium ${category === c ? 'bg-indigo-600 text-white' : 'bg-zinc-100 text-zinc-700 hover:bg-zinc-200 dark:bg-zinc-800 dark:text-zinc-300'}`}
            >
              {c || 'All'}
            </button>
          ))}
        </fieldset>
      </div>
      <QueryState query={q} empty={<Empty title="The catalog is empty" />}>
        {() =>
          shown.length === 0 ? (
            <Empty title="No entry matches" />
          ) : (
            <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="Catalog entries">
              {shown.map((e) => (
                <EntryCard key={e.id} e={e} />
              ))}
            </ul>
          )
        }
      </QueryState>
      <CatalogStacks />
    </>
  );
}
