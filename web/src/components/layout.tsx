import { useQueryClient } from '@tanstack/react-query';
import {
  Archive,
  BellRing,
  Boxes,
  Database,
  KeyRound,
  LayoutDashboard,
  ListChecks,
  LogIn,
  LogOut,
  Menu,
  Network,
  ScrollText,
  Server,
  ShieldCheck,
  Store,
  Users,
  X,
} from 'lucide-react';
import { type ReactNode, useEffect, useState } from 'react';
import { NavLink, useLocation } from 'react-router';
import { clearApiKey, getApiKey } from '../api/auth.js';
import { SESSION_PREFIX } from '../api/client.js';
import { endpoints } from '../api/endpoints.js';
import { useMe } from '../lib/use-me.js';

const NAV = [
  { to: '/', label: 'Dashboard', Icon: LayoutDashboard, end: true },
  { to: '/servers', label: 'Servers', Icon: Server, end: false },
  { to: '/clusters', label: 'Clusters', Icon: Network, end: false },
  { to: '/apps', label: 'Apps', Icon: Boxes, end: false },
  { to: '/databases', label: 'Databases', Icon: Database, end: false },
  { to: '/catalog', label: 'Catalog', Icon: Store, end: false },
  { to: '/backups', label: 'Backups', Icon: Archive, end: false },
  { to: '/alerts', label: 'Alerts', Icon: BellRing, end: false },
  { to: '/jobs', label: 'Jobs', Icon: ListChecks, end: false },
  { to: '/approvals', label: 'Approvals', Icon: ShieldCheck, end: false },
];

/** Users, tokens, sign-in providers and the audit log are an admin's business (the API refuses them below admin anyway). */
const ADMIN_NAV = [
  { to: '/users', label: 'Users', Icon: Users, end: false },
  { to: '/tokens', label: 'API tokens', Icon: KeyRound, end: false },
  { to: '/sign-in-providers', label: 'Sign-in providers', Icon: LogIn, end: false },
  { to: '/audit', label: 'Audit log', Icon: ScrollText, end: false },
];

function NavItems({ onNavigate }: { onNavigate?: () => void }) {
  const me = useMe();
  const items = me.data?.level === 'admin' ? [...NAV, ...ADMIN_NAV] : NAV;
  return (
    <ul className="space-y-0.5">
      {items.map(({ to, label, Icon, end }) => (
        <li key={to}>
          <NavLink
            to={to}
            end={end}
            onClick={onNavigate}
            className={({ isActive }) =>
              `flex items-center gap-2 rounded-md px-2.5 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-indigo-500 ${
                isActive
                  ? 'bg-indigo-50 text-indigo-700 dark:bg-indigo-950/60 dark:text-indigo-300'
                  : 'text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800'
              }`
            }
          >
            <Icon aria-hidden className="size-4" />
            {label}
          </NavLink>
        </li>
      ))}
    </ul>
  );
}

function Logo() {
  return (
    <span className="flex items-center gap-2 text-base font-semibold tracking-tight">
      <span aria-hidden className="grid size-6 place-items-center rounded bg-indigo-600 text-xs font-bold text-white">
        i
      </span>
      infrakt
    </span>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const qc = useQueryClient();
  const location = useLocation();
  const logout = () => {
    // A user's session ends on the server too; the owner's key is only forgotten by this browser.
    if (getApiKey()?.startsWith(SESSION_PREFIX)) void endpoints.logout().catch(() => undefined);
    qc.clear();
    clearApiKey();
  };
  // Moving to another page closes the phone menu.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on navigation on purpose
  useEffect(() => setMenuOpen(false), [location.pathname]);

  const logoutButton = (
    <button
      type="button"
      onClick={logout}
      className="flex w-full items-center gap-2 rounded-md px-2.5 py-1.5 text-sm font-medium text-zinc-700 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-zinc-300 dark:hover:bg-zinc-800"
    >
      <LogOut aria-hidden className="size-4" />
      Log out
    </button>
  );

  return (
    <div className="min-h-screen md:flex">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-sm dark:focus:bg-zinc-900"
      >
        Skip to content
      </a>
      <aside className="hidden w-56 shrink-0 flex-col border-r border-zinc-200 bg-white px-3 py-4 md:flex dark:border-zinc-800 dark:bg-zinc-900">
        <div className="mb-5 px-2.5">
          <Logo />
        </div>
        <nav aria-label="Main" className="flex-1">
          <NavItems />
        </nav>
        {logoutButton}
      </aside>
      <header className="sticky top-0 z-30 flex items-center justify-between border-b border-zinc-200 bg-white/90 px-4 py-2 backdrop-blur md:hidden dark:border-zinc-800 dark:bg-zinc-900/90">
        <Logo />
        <button
          type="button"
          aria-expanded={menuOpen}
          aria-controls="mobile-nav"
          aria-label={menuOpen ? 'Close menu' : 'Open menu'}
          onClick={() => setMenuOpen((o) => !o)}
          className="rounded p-1.5 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:hover:bg-zinc-800"
        >
          {menuOpen ? <X aria-hidden className="size-5" /> : <Menu aria-hidden className="size-5" />}
        </button>
      </header>
      {menuOpen ? (
        <nav
          id="mobile-nav"
          aria-label="Main"
          className="sticky top-[45px] z-20 border-b border-zinc-200 bg-white px-3 py-2 md:hidden dark:border-zinc-800 dark:bg-zinc-900"
        >
          <NavItems onNavigate={() => setMenuOpen(false)} />
          <div className="mt-1 border-t border-zinc-200 pt-1 dark:border-zinc-800">{logoutButton}</div>
        </nav>
      ) : null}
      <main id="main" className="min-w-0 flex-1 px-4 py-5 md:px-8 md:py-7">
        <div className="mx-auto max-w-6xl">{children}</div>
      </main>
    </div>
  );
}
