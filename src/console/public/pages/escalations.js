// 升级处理: repeat offenders and overdue ladders, with the action taken.
import { api, attempt, el, field, flash, fmtTime, hashQuery, isAdmin, pager, qs, select, setHashQuery, table } from '../lib.js';

export async function escalationsPage() {
  const q = hashQuery();
  const f = { kind: q.get('kind') || '', status: q.get('status') || '', year: q.get('year') || '' };
  const page = Number(q.get('page') || 1);
  const data = await api('GET', `/escalations${qs({ ...f, page, page_size: 50 })}`);
  const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  const filters = el('form', { class: 'filters card', onsubmit: (ev) => { ev.preventDefault(); const fd = new FormData(ev.target); setHashQuery('/escalations', { kind: fd.get('kind'), status: fd.get('status'), year: fd.get('year') }); } },
    field('类型', select('kind', [['', '全部'], ['repeat_target', '重复通报对象'], ['repeat_unit', '重复通报单位'], ['overdue', '逾期升级']], f.kind)),
    field('状态', select('status', [['', '全部'], ['open', '待处理'], ['delivered', '已通知'], ['actioned', '已处理'], ['closed', '已关闭']], f.status)),
    field('年份', el('input', { name: 'year', type: 'number', min: 2000, max: 2100, value: f.year })),
    el('button', { type: 'submit' }, '筛选'));
  const actionCell = (e) => {
    if (!isAdmin() || e.status === 'closed') return e.action_taken ? `${e.action_taken}（${e.actioned_by || ''}，${fmtTime(e.actioned_at)}）` : '—';
    const input = el('input', { 'aria-label': `事项 ${e.id} 采取的措施`, value: e.action_taken || '', placeholder: e.proposed_action || '' });
    const go = (status) => async () => {
      if (await attempt(() => api('POST', `/escalations/${e.id}/action`, { status, action_taken: input.value }))) { flash('已记录'); reload(); }
    };
    return el('div', { class: 'actions' }, input, el('button', { type: 'button', onclick: go('actioned') }, '记录措施'), el('button', { type: 'button', class: 'secondary', onclick: go('closed') }, '关闭'));
  };
  return el('section', {}, el('h1', {}, '升级处理'), filters,
    table(['#', '类型', '对象 / 单位', '年份', { text: '次数', class: 'num' }, '建议措施', '状态', '采取的措施'],
      data.items.map((e) => el('tr', {},
        el('td', { class: 'num' }, e.id),
        el('td', {}, e.kind_label),
        el('td', {}, e.target ? `${e.target.name}（${e.target.kind_label}${e.target.platform ? ` · ${e.target.platform}` : ''}）` : '', e.unit ? el('div', { class: 'muted' }, e.unit.name) : null, e.work_order ? el('a', { href: `#/work-orders/${e.work_order.id}` }, e.work_order.code) : null),
        el('td', {}, e.year ?? '—'),
        el('td', { class: 'num' }, e.count ?? e.step ?? '—'),
        el('td', {}, e.proposed_action || '—'),
        el('td', {}, e.status_label),
        el('td', {}, actionCell(e)))), '升级事项'),
    pager(page, 50, data.total, (p) => setHashQuery('/escalations', { ...f, page: p })));
}
