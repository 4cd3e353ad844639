// The console's shell: sign-in, navigation by hash, the calendar warning banner, messages.
import { render, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiFailure, session, setSignedOutHandler } from './api';
import type { MeResponse } from './types';
import { attempt, clearFlash, ConfirmHost, flash, hashPath, useFlash } from './ui';
import { DashboardPage } from './pages/dashboard';
import { NoticesPage } from './pages/notices';
import { WorkOrdersPage } from './pages/workorders';
import { WorkOrderPage } from './pages/workorder';
import { RulesPage } from './pages/rules';
import { CalendarPage } from './pages/calendar';
import { ContactsPage } from './pages/contacts';
import { TemplatesPage } from './pages/templates';
import { EscalationsPage } from './pages/escalations';
import { UsersPage } from './pages/users';
import { EventsPage } from './pages/events';
import { MonitoringPage, NewOrderPage } from './pages/monitoring';
import { MyOrdersPage } from './pages/my';
import { LoginPage } from './pages/login';

type PageComponent = (props: { params: string[] }) => JSX.Element;
const ROUTES: [RegExp, PageComponent, string][] = [
  [/^\/$/, DashboardPage, '统计概览'],
  [/^\/notices$/, NoticesPage, '通报'],
  [/^\/work-orders$/, WorkOrdersPage, '工单'],
  [/^\/work-orders\/(\d+)$/, WorkOrderPage, '工单详情'],
  [/^\/my$/, MyOrdersPage, '我的工单'],
  [/^\/new-order$/, NewOrderPage, '新建工单'],
  [/^\/monitoring$/, MonitoringPage, '监测工单统计'],
  [/^\/rules$/, RulesPage, '期限规则'],
  [/^\/calendar$/, CalendarPage, '工作日日历'],
  [/^\/contacts$/, ContactsPage, '单位与联系人'],
  [/^\/templates$/, TemplatesPage, '消息模板'],
  [/^\/escalations$/, EscalationsPage, '升级处理'],
  [/^\/users$/, UsersPage, '用户'],
  [/^\/events$/, EventsPage, '事件日志'],
];

/** The navigation: [hash path, label, who sees it ('staff' = everyone but unit contacts)]. */
const NAV: [string, string, 'staff' | 'admin' | 'contact'][] = [
  ['/', '统计概览', 'staff'],
  ['/notices', '通报', 'staff'],
  ['/work-orders', '工单', 'staff'],
  ['/my', '我的工单', 'contact'],
  ['/new-order', '新建工单', 'admin'],
  ['/monitoring', '监测工单统计', 'staff'],
  ['/rules', '期限规则', 'staff'],
  ['/calendar', '工作日日历', 'staff'],
  ['/contacts', '单位与联系人', 'staff'],
  ['/templates', '消息模板', 'staff'],
  ['/escalations', '升级处理', 'staff'],
  ['/users', '用户', 'admin'],
  ['/events', '事件日志', 'admin'],
];

async function loadMe(): Promise<void> {
  try {
    const me = await api<MeResponse>('GET', '/auth/me', undefined, { allow401: true });
    session.me = me.user;
    session.csrf = me.csrf_token;
    session.scope = me.scope;
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) {
      session.me = null;
      return;
    }
    throw e;
  }
}

/**
 * A page of this service that sent the browser here to sign in (the simulator: /admin/?next=…)
 * gets it back afterwards. Only a path on this origin is followed.
 */
function goBack(): boolean {
  const next = new URLSearchParams(location.search).get('next');
  if (!next || !/^\/(?![/\\])/.test(next)) return false;
  location.assign(next);
  return true;
}

/** The console page a sign-in should return to (kept in #/login?next=…), if it is one. */
function nextHashPath(): string {
  const i = location.hash.indexOf('?');
  const next = new URLSearchParams(i >= 0 ? location.hash.slice(i + 1) : '').get('next') || '';
  return /^\/(?![/\\])[^\s]*$/.test(next) && !next.startsWith('/login') ? next : '/';
}

const homeFor = () => (session.me?.role === 'contact' ? '/my' : '/');

function Banner(): JSX.Element | null {
  const [warning, setWarning] = useState<string | null>(null);
  useEffect(() => {
    const refresh = () => {
      if (!session.me || session.me.role === 'contact') return setWarning(null);
      api<{ warning: string | null }>('GET', '/calendar/status').then(
        (s) => setWarning(s.warning || null),
        () => setWarning(null),
      );
    };
    refresh();
    window.addEventListener('rectify:calendar-changed', refresh);
    return () => window.removeEventListener('rectify:calendar-changed', refresh);
  }, [session.me]);
  return (
    <div id="banner" role="alert" class="banner" hidden={!warning}>
      {warning}
    </div>
  );
}

function FlashBox(): JSX.Element {
  const f = useFlash();
  return (
    <div id="flash" role="status" aria-live="polite">
      {f ? (
        <div key={f.seq} class={`msg ${f.kind}`}>
          {f.message}
        </div>
      ) : null}
    </div>
  );
}

function App(): JSX.Element {
  const [hash, setHash] = useState(location.hash);
  const [reloads, setReloads] = useState(0);
  const [, setSignedIn] = useState(Boolean(session.me));
  useEffect(() => {
    let last = location.hash;
    const onHash = () => {
      if (location.hash !== last) clearFlash();
      last = location.hash;
      setHash(location.hash);
    };
    const onReload = () => setReloads((n) => n + 1);
    window.addEventListener('hashchange', onHash);
    window.addEventListener('rectify:reload', onReload);
    setSignedOutHandler(() => {
      setSignedIn(false);
      const path = hashPath();
      if (path !== '/login') location.hash = `#/login${path === '/' ? '' : `?next=${encodeURIComponent(path)}`}`;
    });
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('rectify:reload', onReload);
    };
  }, []);

  const me = session.me;
  const path = hashPath();
  let body: JSX.Element;
  if (!me) {
    if (path !== '/login') {
      // Remember the page asked for: after signing in the console goes there.
      const next = path === '/' ? '' : `?next=${encodeURIComponent(location.hash.replace(/^#/, ''))}`;
      history.replaceState(null, '', `${location.pathname}${location.search}#/login${next}`);
    }
    document.title = '登录 · 整改督办控制台';
    body = (
      <LoginPage
        next={nextHashPath()}
        onSignedIn={async () => {
          if (goBack()) return;
          await attempt(loadMe);
          setSignedIn(true);
          const target = nextHashPath();
          location.hash = `#${target === '/' ? homeFor() : target}`;
          setHash(location.hash);
        }}
      />
    );
  } else if (path === '/login' || (path === '/' && me.role === 'contact')) {
    location.hash = `#${homeFor()}`;
    body = <p class="muted">正在加载…</p>;
  } else {
    const found = ROUTES.map(([re, page, title]) => [re.exec(path), page, title] as const).find(([m]) => m);
    if (!found) {
      document.title = '页面不存在 · 整改督办控制台';
      body = (
        <>
          <h1>页面不存在</h1>
          <p>
            <a href="#/">返回首页</a>
          </p>
        </>
      );
    } else {
      const [m, Page, title] = found;
      document.title = `${title} · 整改督办控制台`;
      body = <Page key={`${hash}#${reloads}`} params={m ? m.slice(1) : []} />;
    }
  }

  const visible = (who: 'staff' | 'admin' | 'contact') => (who === 'admin' ? me?.role === 'admin' : who === 'contact' ? me?.role === 'contact' : me?.role !== 'contact');
  return (
    <>
      <a class="skip" href="#main">
        跳到主要内容
      </a>
      <header class="top">
        <span class="brand">整改督办控制台</span>
        <span id="who" class="who" aria-live="polite">
          {me ? `${me.display_name || me.username}（${me.role_label}${me.unit_name ? ` · ${me.unit_name}` : ''}）` : ''}
        </span>
        {me ? (
          <button
            id="logout"
            type="button"
            class="link"
            onClick={async () => {
              await attempt(() => api('POST', '/auth/logout'));
              session.me = null;
              session.csrf = null;
              setSignedIn(false);
              location.hash = '#/login';
            }}
          >
            退出登录
          </button>
        ) : null}
      </header>
      <div class="layout">
        {me ? (
          <nav id="nav" aria-label="主导航">
            <ul>
              {NAV.filter(([, , who]) => visible(who)).map(([target, label]) => {
                const current = target === '/' ? path === '/' : path === target || path.startsWith(`${target}/`);
                return (
                  <li key={target}>
                    <a href={`#${target}`} aria-current={current ? 'page' : undefined}>
                      {label}
                    </a>
                  </li>
                );
              })}
            </ul>
          </nav>
        ) : null}
        <main id="main" tabIndex={-1}>
          <Banner />
          <FlashBox />
          <div id="view">{body}</div>
        </main>
      </div>
      <ConfirmHost />
    </>
  );
}

void (async () => {
  await attempt(loadMe);
  if (session.me && goBack()) return;
  const root = document.getElementById('root');
  if (!root) return;
  root.replaceChildren();
  render(<App />, root);
})().catch((e: unknown) => flash(e instanceof Error ? e.message : String(e), 'err'));
