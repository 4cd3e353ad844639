// Small helpers shared by the console pages: DOM building (never innerHTML with data), the API
// client (CSRF header on changes), messages, formatting.

export const state = { me: null, csrf: null };

/** el('a', {href: '#'}, 'text', child…) — attributes starting with "on" become listeners. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  appendList(node, children);
  return node;
}

export function append(node, ...children) {
  appendList(node, children);
}

function appendList(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function svgEl(tag, attrs = {}, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  appendList(node, children);
  return node;
}

export class ApiFailure extends Error {
  constructor(status, body) {
    super(body?.message || `请求失败（${status}）`);
    this.status = status;
    this.body = body;
  }
}

export async function api(method, path, body, opts = {}) {
  const headers = {};
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const res = await fetch(`/api${path}`, { method, headers, body: payload, credentials: 'same-origin' });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401 && !opts.allow401) {
    state.me = null;
    location.hash = '#/login';
    throw new ApiFailure(401, data);
  }
  if (!res.ok) throw new ApiFailure(res.status, data);
  return data;
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Shows a message; keep: it survives the next page change (a message about where we go). */
export function flash(message, kind = 'ok', keep = false) {
  const box = document.getElementById('flash');
  box.dataset.keep = keep ? '1' : '';
  box.replaceChildren(el('div', { class: `msg ${kind}` }, message));
  if (kind === 'ok') setTimeout(() => box.firstChild && box.firstChild.textContent === message && box.replaceChildren(), 6000);
}

export function clearFlash() {
  const box = document.getElementById('flash');
  if (box.dataset.keep === '1') box.dataset.keep = '';
  else box.replaceChildren();
}

/** Runs an action, showing its error as a message instead of failing silently. */
export async function attempt(fn) {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) return undefined;
    flash(e.message || String(e), 'err');
    return undefined;
  }
}

const zone = 'Asia/Shanghai';
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString('zh-CN', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
}
/** A deadline; a provisional one (counted over a year whose arrangement is not yet published) says so. */
export function fmtDue(iso, provisional) {
  if (!iso || !provisional) return fmtTime(iso);
  const year = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric' }).format(new Date(iso));
  return `${fmtTime(iso)}（暂定，待国务院办公厅公布${year}年安排后确认）`;
}
export function fmtPct(v) {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`;
}

export const isAdmin = () => state.me?.role === 'admin';
export const canReview = () => state.me?.role === 'admin' || state.me?.role === 'supervisor';

let fieldSeq = 0;
/** A labelled control: <label for> + the control (a wrapping label would add a select's options to its name). */
export function field(labelText, input) {
  if (!input.id) input.id = `f${++fieldSeq}`;
  return el('div', { class: 'field' }, el('label', { for: input.id }, labelText), input);
}

export function select(name, options, value, attrs = {}) {
  return el(
    'select',
    { name, ...attrs },
    options.map(([v, t]) => el('option', { value: v, selected: String(v) === String(value ?? '') }, t)),
  );
}

export function table(headers, rows, caption) {
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      {},
      caption ? el('caption', {}, caption) : null,
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', class: typeof h === 'object' ? h.class : undefined }, typeof h === 'object' ? h.text : h)))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, '暂无数据'))),
    ),
  );
}

export function pager(page, pageSize, total, go) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return el(
    'div',
    { class: 'pager' },
    el('button', { type: 'button', class: 'secondary', disabled: page <= 1, onclick: () => go(page - 1) }, '上一页'),
    el('span', {}, `第 ${page} / ${pages} 页，共 ${total} 条`),
    el('button', { type: 'button', class: 'secondary', disabled: page >= pages, onclick: () => go(page + 1) }, '下一页'),
  );
}

export function hashQuery() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i >= 0 ? location.hash.slice(i + 1) : '');
}

export function setHashQuery(path, params) {
  location.hash = `#${path}${qs(params)}`;
}

export function formValues(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) if (typeof v === 'string') out[k] = v.trim();
  return out;
}
