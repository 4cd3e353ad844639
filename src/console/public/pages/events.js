// 事件日志 (admins): every change, who made it, when.
import { api, el, field, fmtTime, hashQuery, pager, qs, setHashQuery, table } from '../lib.js';

export async function eventsPage() {
  const q = hashQuery();
  const f = { type: q.get('type') || '', actor: q.get('actor') || '' };
  const page = Number(q.get('page') || 1);
  const data = await api('GET', `/events${qs({ ...f, page, page_size: 50 })}`);
  return el('section', {}, el('h1', {}, '事件日志'),
    el('form', { class: 'filters card', onsubmit: (ev) => { ev.preventDefault(); const fd = new FormData(ev.target); setHashQuery('/events', { type: fd.get('type'), actor: fd.get('actor') }); } },
      field('类型（或前缀）', el('input', { name: 'type', value: f.type, placeholder: '如 deadline_rule' })),
      field('操作人', el('input', { name: 'actor', value: f.actor, placeholder: '如 admin:admin' })),
      el('button', { type: 'submit' }, '筛选')),
    table(['#', '时间', '类型', '操作人', '工单', '通报', '内容'], data.items.map((e) => el('tr', {},
      el('td', { class: 'num' }, e.id), el('td', {}, fmtTime(e.at)), el('td', {}, e.type), el('td', {}, e.actor),
      el('td', {}, e.work_order_id ? el('a', { href: `#/work-orders/${e.work_order_id}` }, e.work_order_id) : '—'),
      el('td', {}, e.notice_id ?? '—'),
      el('td', {}, el('pre', { class: 'data' }, JSON.stringify(e.data))))), '事件'),
    pager(page, 50, data.total, (p) => setHashQuery('/events', { ...f, page: p })));
}
