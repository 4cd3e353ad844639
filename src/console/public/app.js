// The console's shell: sign-in, navigation by hash, the calendar warning banner.
import { api, ApiFailure, attempt, clearFlash, el, flash, state } from './lib.js';
import { dashboardPage } from './pages/dashboard.js';
import { noticesPage } from './pages/notices.js';
import { workOrdersPage, workOrderPage } from './pages/workorders.js';
import { rulesPage } from './pages/rules.js';
import { calendarPage } from './pages/calendar.js';
import { contactsPage } from './pages/contacts.js';
import { templatesPage } from './pages/templates.js';
import { escalationsPage } from './pages/escalations.js';
import { usersPage } from './pages/users.js';
import { eventsPage } from './pages/events.js';
import { monitoringPage, newOrderPage } from './pages/monitoring.js';

const ROUTES = [
  [/^\/$/, dashboardPage, '统计概览'],
  [/^\/notices$/, noticesPage, '通报'],
  [/^\/work-orders$/, workOrdersPage, '工单'],
  [/^\/work-orders\/(\d+)$/, workOrderPage, '工单详情'],
  [/^\/new-order$/, newOrderPage, '新建工单'], [/^\/monitoring$/, monitoringPage, '监测工单统计'],
  [/^\/rules$/, rulesPage, '期限规则'],
  [/^\/calendar$/, calendarPage, '工作日日历'],
  [/^\/contacts$/, contactsPage, '单位与联系人'],
  [/^\/templates$/, templatesPage, '消息模板'],
  [/^\/escalations$/, escalationsPage, '升级处理'],
  [/^\/users$/, usersPage, '用户'],
  [/^\/events$/, eventsPage, '事件日志'],
];

const view = () => document.getElementById('view');

async function loadMe() {
  try {
    const me = await api('GET', '/auth/me', undefined, { allow401: true });
    state.me = me.user;
    state.csrf = me.csrf_token;
    state.scope = me.scope;
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) {
      state.me = null;
      return;
    }
    throw e;
  }
}

function renderShell() {
  const signedIn = Boolean(state.me);
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('logout').hidden = !signedIn;
  document.getElementById('who').textContent = signedIn ? `${state.me.display_name || state.me.username}（${state.me.role_label}）` : '';
  for (const li of document.querySelectorAll('#nav li[data-role]')) li.hidden = state.me?.role !== li.dataset.role;
}

async function refreshBanner() {
  const banner = document.getElementById('banner');
  if (!state.me) {
    banner.hidden = true;
    return;
  }
  try {
    const s = await api('GET', '/calendar/status');
    banner.hidden = !s.warning;
    banner.textContent = s.warning || '';
  } catch {
    banner.hidden = true;
  }
}

/**
 * A page of this service that sent the browser here to sign in (the simulator: /admin/?next=…)
 * gets it back afterwards. Only a path on this origin is followed.
 */
function goBack() {
  const next = new URLSearchParams(location.search).get('next');
  if (!next || !/^\/(?![\/\\])/.test(next)) return false;
  location.assign(next);
  return true;
}

function loginPage() {
  const msg = el('div', { role: 'alert' });
  const form = el(
    'form',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        msg.replaceChildren();
        const fd = new FormData(form);
        try {
          await api('POST', '/auth/login', { username: fd.get('username'), password: fd.get('password') }, { allow401: true });
          if (goBack()) return;
          await loadMe();
          renderShell();
          await refreshBanner();
          location.hash = '#/';
        } catch (e) {
          msg.replaceChildren(el('div', { class: 'msg err' }, e.message));
        }
      },
    },
    el('label', {}, '用户名', el('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true })),
    el('label', {}, '密码', el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    el('button', { type: 'submit' }, '登录'),
  );
  return el('section', { class: 'login card', 'aria-labelledby': 'login-title' }, el('h1', { id: 'login-title' }, '登录'), msg, form);
}

let renderSeq = 0;
let lastHash = null;
async function render() {
  const seq = ++renderSeq;
  const hash = location.hash.replace(/^#/, '') || '/';
  const path = hash.split('?')[0] || '/';
  // A page reloading itself after a change keeps the message about that change.
  if (hash !== lastHash) clearFlash();
  lastHash = hash;
  if (path === '/login' || !state.me) {
    if (!state.me) {
      renderShell();
      document.title = '登录 · 整改督办控制台';
      view().replaceChildren(loginPage());
      document.getElementById('banner').hidden = true;
      if (path !== '/login') history.replaceState(null, '', '#/login');
      return;
    }
    location.hash = '#/';
    return;
  }
  for (const a of document.querySelectorAll('#nav a')) {
    const target = a.getAttribute('href').slice(1);
    const current = target === '/' ? path === '/' : path === target || path.startsWith(`${target}/`);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const match = ROUTES.map(([re, page, title]) => [re.exec(path), page, title]).find(([m]) => m);
  if (!match) {
    view().replaceChildren(el('h1', {}, '页面不存在'), el('p', {}, el('a', { href: '#/' }, '返回首页')));
    return;
  }
  const [m, page, title] = match;
  document.title = `${title} · 整改督办控制台`;
  view().replaceChildren(el('p', { class: 'muted' }, '正在加载…'));
  const node = await attempt(() => page(...m.slice(1)));
  if (seq !== renderSeq) return;
  if (node) view().replaceChildren(node);
  else if (view().textContent === '正在加载…') view().replaceChildren(el('p', { class: 'muted' }, '加载失败。'));
}

document.getElementById('logout').addEventListener('click', async () => {
  await attempt(() => api('POST', '/auth/logout'));
  state.me = null;
  state.csrf = null;
  renderShell();
  location.hash = '#/login';
  render();
});

window.addEventListener('hashchange', render);
window.addEventListener('rectify:calendar-changed', refreshBanner);

(async () => {
  await attempt(loadMe);
  if (state.me && goBack()) return;
  renderShell();
  await refreshBanner();
  await render();
})();

export { flash };
