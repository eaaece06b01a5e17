import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { useApiKey } from './api/auth.js';
import { isApiError } from './api/client.js';
import { Layout } from './components/layout.js';
import { Loading } from './components/states.js';
import { ToastProvider } from './components/toast.js';
import { LoginPage } from './pages/login.js';

// Route-level code splitting: only the shell and the login form are in the first load.
const DashboardPage = lazy(() => import('./pages/dashboard.js'));
const ServersPage = lazy(() => import('./pages/servers.js'));
const ServerDetailPage = lazy(() => import('./pages/server-detail.js'));
const ClustersPage = lazy(() => import('./pages/clusters.js'));
const AppsPage = lazy(() => import('./pages/apps.js'));
const AppDetailPage = lazy(() => import('./pages/app-detail.js'));
const DatabasesPage = lazy(() => import('./pages/databases.js'));
const CatalogPage = lazy(() => import('./pages/catalog.js'));
const CatalogInstallPage = lazy(() => import('./pages/catalog-install.js'));
const BackupsPage = lazy(() => import('./pages/backups.js'));
const AlertsPage = lazy(() => import('./pages/alerts.js'));
const JobsPage = lazy(() => import('./pages/jobs.js'));
const JobDetailPage = lazy(() => import('./pages/job-detail.js'));
const ApprovalsPage = lazy(() => import('./pages/approvals.js'));
const UsersPage = lazy(() => import('./pages/users.js'));
const TokensPage = lazy(() => import('./pages/tokens.js'));
const OidcProvidersPage = lazy(() => import('./pages/oidc-providers.js'));
const AuditPage = lazy(() => import('./pages/audit.js'));
const NotFoundPage = lazy(() => import('./pages/not-found.js'));

const queryClient = new QueryClient({
  queryCache: new QueryCache(),
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      refetchOnWindowFocus: true,
      // Client errors (bad name, wrong key) will not fix themselves by retrying.
      retry: (count, err) => count < 2 && !(isApiError(err) && err.status >= 400 && err.status < 500),
    },
  },
});

function Routed() {
  const key = useApiKey();
  if (!key) return <LoginPage />;
  return (
    <Layout>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/" element={<DashboardPage />} />
          <Route path="/servers" element={<ServersPage />} />
          <Route path="/servers/:name" element={<ServerDetailPage />} />
          <Route path="/clusters" element={<ClustersPage />} />
          <Route path="/apps" element={<AppsPage />} />
          <Route path="/apps/:name" element={<AppDetailPage />} />
          <Route path="/databases" element={<DatabasesPage />} />
          <Route path="/catalog" element={<CatalogPage />} />
          <Route path="/catalog/:id" element={<CatalogInstallPage />} />
          <Route path="/backups" element={<BackupsPage />} />
          <Route path="/alerts" element={<AlertsPage />} />
          <Route path="/jobs" element={<JobsPage />} />
          <Route path="/jobs/:id" element={<JobDetailPage />} />
          <Route path="/approvals" element={<ApprovalsPage />} />
          <Route path="/users" element={<UsersPage />} />
          <Route path="/tokens" element={<TokensPage />} />
          <Route path="/sign-in-providers" element={<OidcProvidersPage />} />
          <Route path="/audit" element={<AuditPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </Suspense>
    </Layout>
  );
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <BrowserRouter>
          <Routed />
        </BrowserRouter>
      </ToastProvider>
    </QueryClientProvider>
  );
}

export { queryClient };
