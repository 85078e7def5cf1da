// The console's entry: checks for a session, then shows the page the URL names inside the
// header / nav / main layout. Each page loads its own data from the admin API.
import './styles.css';
import type { ComponentChildren, ComponentType } from 'preact';
import { Component, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { setOnUnauthorized } from './api';
import { closeLiveEvents } from './events';
import { Audit } from './pages/Audit';
import { DevPhone } from './pages/DevPhone';
import { History } from './pages/History';
import { Inbox } from './pages/Inbox';
import { Mappings } from './pages/Mappings';
import { Numbers } from './pages/Numbers';
import { OptOuts } from './pages/OptOuts';
import { People } from './pages/People';
import { Policy } from './pages/Policy';
import { Queues } from './pages/Queues';
import { SignIn } from './pages/SignIn';
import { Unrouted } from './pages/Unrouted';
import { Link, navigate, useLocation } from './router';
import { currentSession, signOut, type Session } from './session';

export interface PageProps {
  /** Path segments after the page's own, e.g. the conversation id in /admin/inbox/<id>. */
  rest: string[];
  search: URLSearchParams;
  session: Session;
}

interface PageDef {
  slug: string;
  title: string;
  component: ComponentType<PageProps>;
}

export const PAGES: PageDef[] = [
  { slug: 'inbox', title: 'Inbox', component: Inbox },
  { slug: 'dev-phone', title: 'Dev phone', component: DevPhone },
  { slug: 'numbers', title: 'Numbers', component: Numbers },
  { slug: 'mappings', title: 'Mappings', component: Mappings },
  { slug: 'policy', title: 'Policy', component: Policy },
  { slug: 'people', title: 'People', component: People },
  { slug: 'opt-outs', title: 'Opt-outs', component: OptOuts },
  { slug: 'queues', title: 'Queue health', component: Queues },
  { slug: 'audit', title: 'Audit log', component: Audit },
  { slug: 'unrouted', title: 'Unrouted', component: Unrouted },
  { slug: 'history', title: 'History search', component: History },
];

/** One page's bug shows as a message on that page; the header and nav keep working. */
class PageBoundary extends Component<{ children: ComponentChildren }, { error: Error | null }> {
  override state = { error: null as Error | null };
  override componentDidCatch(error: Error) {
    console.error(error);
    this.setState({ error });
  }
  render() {
    if (this.state.error) {
      return (
        <div class="error" role="alert">
          <h1>This page failed</h1>
          <p>{this.state.error.message}</p>
        </div>
      );
    }
    return this.props.children;
  }
}

function App() {
  const { path, search } = useLocation();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    setOnUnauthorized(() => {
      setSession(null);
      setNotice('Your session ended; sign in again.');
    });
    void currentSession().then(setSession);
  }, []);

  useEffect(() => setMenuOpen(false), [path]);

  // Moving to another page puts the keyboard (and a screen reader) at its content, as a page
  // load would; moving inside a page (opening a conversation) leaves focus where it is.
  const slugNow = path.split('/')[2] ?? '';
  const lastSlug = useRef(slugNow);
  useEffect(() => {
    if (lastSlug.current && lastSlug.current !== slugNow) document.getElementById('main')?.focus();
    lastSlug.current = slugNow;
  }, [slugNow]);

  if (session === undefined) return <p class="muted boot" role="status">Loading…</p>;

  const code = search.get('code');
  if (session === null) {
    return (
      <SignIn
        code={code}
        notice={notice}
        onSignedIn={(s) => {
          setNotice(undefined);
          setSession(s);
          // The one-time code is spent: keep it out of the address bar and history.
          if (code !== null) navigate(path, true);
        }}
      />
    );
  }

  const parts = path.split('/').filter(Boolean); // ['admin', 'inbox', ...]
  const slug = parts[1] ?? 'inbox';
  const page = PAGES.find((p) => p.slug === slug);
  if (parts.length < 2) {
    // /admin itself: the inbox, at its own URL.
    queueMicrotask(() => navigate('/admin/inbox', true));
  }

  return (
    <div class="layout">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <button type="button" class="menu-toggle" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <Link href="/admin/inbox" class="brand">
          <img src="/admin/favicon.svg" alt="" width={24} height={24} /> sms-bridge
        </Link>
        <span class="whoami">
          Signed in as <strong>{session.name}</strong>
        </span>
        <button
          type="button"
          onClick={async () => {
            closeLiveEvents();
            await signOut();
            setNotice('Signed out.');
            setSession(null);
          }}
        >
          Sign out
        </button>
      </header>
      {/* A link to the page already shown changes no path: close the menu on any click in it. */}
      <nav id="nav" class={menuOpen ? 'open' : ''} aria-label="Console pages" onClick={() => setMenuOpen(false)}>
        <ul>
          {PAGES.map((p) => (
            <li key={p.slug}>
              <Link href={`/admin/${p.slug}`} aria-current={p.slug === slug ? 'page' : undefined}>
                {p.title}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {page ? (
          <PageBoundary key={page.slug}>
            <page.component rest={parts.slice(2)} search={search} session={session} />
          </PageBoundary>
        ) : (
          <>
            <h1>Page not found</h1>
            <p>
              There is no console page at {path}. <Link href="/admin/inbox">Go to the inbox</Link>.
            </p>
          </>
        )}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
