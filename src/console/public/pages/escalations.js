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
  const settings = await api('GET', '/settings/followup');
  return el('section', {}, el('h1', {}, '升级处理'), settingsCard(settings, reload), filters,
    table(['#', '类型', '对象 / 单位', '年份', { text: '次数 / 升级级别', class: 'num' }, '建议措施', '状态', '采取的措施'],
      data.items.map((e) => el('tr', {},
        el('td', { class: 'num' }, e.id),
        el('td', {}, e.kind_label),
        el('td', {}, e.target ? `${e.target.name}（${e.target.kind_label}${e.target.platform ? ` · ${e.target.platform}` : ''}）` : '', e.unit ? el('div', { class: 'muted' }, e.unit.name) : null, e.work_order ? el('a', { href: `#/work-orders/${e.work_order.id}` }, e.work_order.code) : null),
        el('td', {}, e.year ?? '—'),
        el('td', { class: 'num' }, e.kind === 'overdue' ? `第 ${e.step} 级` : e.count ?? '—'),
        el('td', {}, e.proposed_action || '—'),
        el('td', {}, e.status_label),
        el('td', {}, actionCell(e)))), '升级事项'),
    pager(page, 50, data.total, (p) => setHashQuery('/escalations', { ...f, page: p })));
}

/** 督办设置: the overdue ladder (role and working days overdue per step), reminders, quiet hours. */
function settingsCard(s, reload) {
  const admin = isAdmin();
  const roleOptions = [['', '（不用此级）'], ...Object.entries(s.roles)];
  const rows = [0, 1, 2, 3, 4, 5].map((i) => {
    const step = s.ladder[i];
    const role = select(`role${i}`, roleOptions, step ? step.role : '', { 'aria-label': `第 ${i + 1} 级通知对象`, disabled: !admin });
    const days = el('input', { name: `days${i}`, type: 'number', min: 0, max: 60, value: step ? step.after_working_days : '', 'aria-label': `第 ${i + 1} 级：逾期后第几个工作日`, disabled: !admin });
    return el('tr', {}, el('td', { class: 'num' }, `第 ${i + 1} 级`), el('td', {}, role), el('td', {}, days));
  });
  const morning = el('input', { class: 'narrow', name: 'reminder_morning', type: 'time', value: s.reminder_morning || '', disabled: !admin });
  const before = el('input', { class: 'narrow', name: 'reminder_before_minutes', type: 'number', min: 1, max: 1440, value: s.reminder_before_minutes ?? '', disabled: !admin });
  const quiet = el('input', { class: 'narrow', name: 'quiet_hours', value: s.quiet_hours || '', placeholder: '08:30-18:00；留空表示不限', disabled: !admin });
  const allow = el('fieldset', {}, el('legend', {}, '非工作时间也可发送的消息'),
    Object.entries(s.purposes).map(([k, label]) => el('label', { class: 'check' },
      el('input', { type: 'checkbox', name: 'allow', value: k, checked: s.quiet_allow.includes(k), disabled: !admin }), ` ${label}`)));
  const save = async (ev) => {
    ev.preventDefault();
    const fd = new FormData(ev.target);
    const ladder = [0, 1, 2, 3, 4, 5]
      .map((i) => ({ role: fd.get(`role${i}`), after_working_days: Number(fd.get(`days${i}`) || 0) }))
      .filter((l) => l.role);
    const body = {
      ladder,
      reminder_morning: fd.get('reminder_morning') || null,
      reminder_before_minutes: fd.get('reminder_before_minutes') ? Number(fd.get('reminder_before_minutes')) : null,
      quiet_hours: String(fd.get('quiet_hours') || '').trim() || null,
      quiet_allow: fd.getAll('allow'),
    };
    if (await attempt(() => api('PUT', '/settings/followup', body))) { flash('督办设置已保存'); reload(); }
  };
  return el('details', { class: 'card' }, el('summary', {}, `督办设置：逾期升级 ${s.ladder.map((l) => `${s.roles[l.role]}（第 ${l.after_working_days} 个工作日）`).join(' → ')}`),
    el('form', { onsubmit: save, 'aria-label': '督办设置' },
      el('p', { class: 'muted' }, '工单逾期后按下列顺序逐级通知；工作日数从逾期后的第一个工作时段起算，单位反馈后即停止。'),
      table(['级别', '通知对象', { text: '逾期后第几个工作日', class: 'num' }], rows, '逾期升级阶梯'),
      field('到期当天提醒时刻', morning),
      field('截止前提醒（分钟）', before),
      field('工作时间（免打扰时段之外）', quiet),
      allow,
      admin ? el('div', { class: 'actions' },
        el('button', { type: 'submit' }, '保存设置'),
        el('button', { type: 'button', class: 'secondary', onclick: async () => { if (await attempt(() => api('POST', '/settings/followup/reset', {}))) { flash('已恢复默认设置'); reload(); } } }, '恢复默认')) : null));
}
