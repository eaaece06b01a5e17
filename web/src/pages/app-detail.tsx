import { useQuery } from '@tanstack/react-query';
import { ArrowLeft, ExternalLink } from 'lucide-react';
import { lazy, Suspense } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { endpoints } from '../api/endpoints.js';
import { AppAuth } from '../components/app-auth.js';
import { AppBackups } from '../components/app-backups.js';
import { AppCatalog } from '../components/app-catalog.js';
import { AppDeployments } from '../components/app-deployments.js';
import { AppEnv } from '../components/app-env.js';
import { AppHealth } from '../components/app-health.js';
import { AppLogs } from '../components/app-logs.js';
import { AppPush } from '../components/app-push.js';
import { AppSettings } from '../components/app-settings.js';
import { AppTasks } from '../components/app-tasks.js';
import { Loading, QueryState } from '../components/states.js';
import { Tabs } from '../components/tabs.js';
import { Card, PageHeader, StatusBadge } from '../components/ui.js';
import { formatTime } from '../lib/format.js';
import { AppActions } from './apps.js';

// xterm.js is large: it loads when a terminal tab opens.
const WebTerminal = lazy(() => import('../components/web-terminal.js'));

const TABS = [
  { key: 'deployments', label: 'Deployments' },
  { key: 'logs', label: 'Logs' },
  { key: 'env', label: 'Environment' },
  { key: 'tasks', label: 'Tasks' },
  { key: 'terminal', label: 'Terminal' },
  { key: 'backups', label: 'Backups' },
  { key: 'settings', label: 'Settings' },
  { key: 'push', label: 'Push & previews' },
  { key: 'health', label: 'Health' },
] as const;
type TabKey = (typeof TABS)[number]['key'];

export default function AppDetailPage() {
  const { name = '' } = useParams();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const tab = (TABS.find((t) => t.key === params.get('tab'))?.key ?? 'deployments') as TabKey;
  const q = useQuery({
    queryKey: ['app', name],
    queryFn: ({ signal }) => endpoints.app(name, signal),
    refetchInterval: (query) => (query.state.data?.status === 'deploying' ? 2_000 : 15_000),
  });

  return (
    <>
      <Link
        to="/apps"
        className="mb-2 inline-flex items-center gap-1 text-sm text-zinc-500 dark:text-zinc-400 hover:text-zinc-800 dark:hover:text-zinc-200"
      >
        <ArrowLeft aria-hidden className="size-4" /> Apps
      </Link>
      <QueryState query={q}>
        {(app) => (
          <>
            <PageHeader
              title={
                <span className="flex items-center gap-2">
                  {app.name} <StatusBadge status={app.status} />
                </span>
              }
              subtitle={
                <>
                  on{' '}
                  <Link to={`/servers/${app.server}`} className="hover:underline">
                    {app.server}
                  </Link>{' '}
                  · {app.type} · release {app.currentRelease ? `#${app.currentRelease}` : 'none'}
                </>
              }
              actions={<AppActions app={app} onDestroyed={() => navigate('/apps')} />}
            />
            <Card className="mb-5">
              <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-4">
                <div>
                  <dt className="text-xs text-zinc-500 dark:text-zinc-400">Source</dt>
                  <dd className="font-mono text-xs break-all">
                    {app.image ?? (app.git ? `${app.git}#${app.branch ?? ''}` : 'compose file')}
                  </dd>
                </div>
                <div>
                  <dt className="text-xs text-zinc-500 dark:text-zinc-400">
                    {app.domains.length > 1 ? 'Domains' : 'Domain'}
                  </dt>
                  <dd className="font-mono text-xs break-all" data-app-domains>
                    {app.domains.length
                      ? app.domains.map((d) => (
                          <a
                            key={d}
                            href={`https://${d}`}
                            target="_blank"
                            rel="noreferrer"
                            className="mr-2 inline-flex items-center gap-1 text-indigo-600 hover:underline dark:text-indigo-400"
                          >
                            {d} <ExternalLink aria-hidden className="size-3" />
                          </a>
                        ))
                      : '—'}
                  </dd>
                </div>
                <div>
                  <dt className="text-xs text-zinc-500 dark:text-zinc-400">Container port</dt>
                  <dd className="tabular-nums">{app.port}</dd>
                </div>
                <div>
                  <dt className="text-xs text-zinc-500 dark:text-zinc-400">Updated</dt>
                  <dd>{formatTime(app.updatedAt)}</dd>
                </div>
                <AppCatalog app={app} />
              </dl>
            </Card>
            <Tabs
              tabs={[...TABS]}
              active={tab}
              onChange={(k) =>
                setParams(
                  (p) => {
                    p.set('tab', k);
                    return p;
                  },
                  { replace: true },
                )
              }
            >
              {tab === 'deployments' ? <AppDeployments app={app} /> : null}
              {tab === 'logs' ? <AppLogs app={app.name} /> : null}
              {tab === 'env' ? <AppEnv app={app} /> : null}
              {tab === 'tasks' ? <AppTasks app={app} /> : null}
              {tab === 'terminal' ? (
                <Suspense fallback={<Loading label="Loading the terminal…" />}>
                  <WebTerminal label={app.name} requestTicket={(size) => endpoints.appTerminal(app.name, size)} />
                </Suspense>
              ) : null}
              {tab === 'backups' ? <AppBackups app={app} /> : null}
              {tab === 'settings' ? (
                <div className="space-y-4">
                  <AppSettings app={app} />
                  <AppAuth app={app} />
                </div>
              ) : null}
              {tab === 'push' ? <AppPush app={app} /> : null}
              {tab === 'health' ? <AppHealth app={app.name} /> : null}
            </Tabs>
          </>
        )}
      </QueryState>
    </>
  );
}
