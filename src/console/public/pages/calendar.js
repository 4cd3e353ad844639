// 工作日日历: a year view (working days, holidays, make-up days), overrides, arrangement files.
import { api, attempt, el, field, flash, hashQuery, isAdmin, select, setHashQuery, table } from '../lib.js';

const TYPE_LABELS = { workday: '工作日', weekend: '休息日', holiday: '节假日', makeup: '调休上班' };
const WEEK = ['一', '二', '三', '四', '五', '六', '日'];

function monthGrid(year, month, days, onPick) {
  const first = new Date(Date.UTC(year, month - 1, 1));
  const lead = (first.getUTCDay() + 6) % 7;
  const cells = [...Array(lead).fill(null), ...days];
  const rows = [];
  for (let i = 0; i < cells.length; i += 7) rows.push(cells.slice(i, i + 7));
  return el(
    'div',
    { class: 'month' },
    el(
      'table',
      {},
      el('caption', {}, `${month}月`),
      el('thead', {}, el('tr', {}, WEEK.map((w) => el('th', { scope: 'col', abbr: `星期${w}` }, w)))),
      el(
        'tbody',
        {},
        rows.map((r) =>
          el(
            'tr',
            {},
            r.map((d) =>
              el(
                'td',
                {},
                d
                  ? el(
                      'button',
                      {
                        type: 'button',
                        class: `day ${d.type}${d.source === 'override' ? ' override' : ''}`,
                        title: `${d.date} ${TYPE_LABELS[d.type]}${d.name ? ` ${d.name}` : ''}${d.source === 'override' ? '（人工调整）' : ''}`,
                        'aria-label': `${d.date} ${TYPE_LABELS[d.type]}${d.name ? ` ${d.name}` : ''}${d.source === 'override' ? ' 人工调整' : ''}`,
                        dataset: { date: d.date, type: d.type },
                        onclick: () => onPick(d),
                      },
                      Number(d.date.slice(8)),
                    )
                  : null,
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

export async function calendarPage() {
  const status = await api('GET', '/calendar/status');
  const year = Number(hashQuery().get('year') || status.today.slice(0, 4));
  const data = await api('GET', `/calendar/years/${year}`);
  const reload = () => {
    window.dispatchEvent(new Event('rectify:calendar-changed'));
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  };

  const ovForm = el('form', { class: 'grid', 'aria-labelledby': 'override-title' });
  ovForm.append(
    field('日期', el('input', { name: 'date', type: 'date', required: true })),
    field('设为', select('workday', [['true', '上班（工作日 / 调休上班）'], ['false', '休息']], 'true')),
    field('原因', el('input', { name: 'reason', required: true, placeholder: '如 调休上班' })),
    el(
      'div',
      { class: 'actions' },
      el('button', { type: 'submit', disabled: !isAdmin() }, '保存调整'),
      el(
        'button',
        {
          type: 'button',
          class: 'danger',
          disabled: !isAdmin(),
          onclick: async () => {
            const date = ovForm.elements.date.value;
            if (!date) return flash('请先选择日期', 'err');
            if (await attempt(() => api('DELETE', `/calendar/overrides/${date}`))) {
              flash(`已撤销 ${date} 的调整`);
              reload();
            }
          },
        },
        '撤销该日调整',
      ),
    ),
  );
  ovForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ovForm.elements;
    const res = await attempt(() => api('PUT', `/calendar/overrides/${f.date.value}`, { workday: f.workday.value === 'true', reason: f.reason.value }));
    if (res) {
      flash(`已将 ${f.date.value} 设为${f.workday.value === 'true' ? '上班' : '休息'}`);
      reload();
    }
  });
  const pick = (d) => {
    ovForm.elements.date.value = d.date;
    ovForm.elements.workday.value = d.workday ? 'false' : 'true';
    ovForm.elements.reason.value = d.source === 'override' ? d.name || '' : '';
    ovForm.elements.reason.focus();
  };

  const loadForm = el(
    'form',
    { class: 'grid', 'aria-labelledby': 'load-title' },
    field('节假日安排文件（JSON）', el('input', { type: 'file', name: 'file', accept: '.json,application/json', required: true })),
    el('button', { type: 'submit', disabled: !isAdmin() }, '导入'),
  );
  loadForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const res = await attempt(() => api('POST', '/calendar/arrangements', new FormData(loadForm)));
    if (res) {
      const r = res.recomputed;
      const recomputed = r && r.checked ? `暂定期限已重算 ${r.checked} 张：期限变化 ${r.changed} 张（已告知单位），不变 ${r.confirmed} 张。` : '';
      flash(`已导入 ${res.year} 年节假日安排：放假 ${res.off_days} 天，调休上班 ${res.makeup_days} 天。${recomputed}`);
      reload();
    }
  });

  const years = [...new Set([...status.covered_years.slice(-4), status.next_year, year])].sort();
  const byMonth = Array.from({ length: 12 }, (_, i) => data.days.filter((d) => Number(d.date.slice(5, 7)) === i + 1));
  return el(
    'section',
    {},
    el('h1', {}, '工作日日历'),
    el(
      'div',
      { class: 'actions' },
      field('年份', select('year', years.map((y) => [y, `${y}年${status.covered_years.includes(y) ? '' : '（无数据）'}`]), year, { onchange: (ev) => setHashQuery('/calendar', { year: ev.target.value }) })),
      el('span', { class: 'muted' }, `今天 ${status.today}；有数据的年份：${status.covered_years[0]}–${status.covered_years[status.covered_years.length - 1]}`),
    ),
    data.provisional
      ? el('div', { class: 'msg err', role: 'alert' }, `${year}年节假日安排尚未导入：下表按《全国年节及纪念日放假办法》暂定（元旦、春节、清明、劳动节、端午、中秋、国庆，不含调休），跨入${year}年的期限均标注“暂定”，导入后自动重算。`)
      : null,
    data.covered || data.provisional
      ? el(
          'div',
          {},
          el('div', { class: 'legend' }, el('span', { class: 'l-workday' }, '工作日'), el('span', { class: 'l-weekend' }, '休息日'), el('span', { class: 'l-holiday' }, '节假日'), el('span', { class: 'l-makeup' }, '调休上班'), el('span', { class: 'l-override' }, '人工调整')),
          el('div', { class: 'months' }, byMonth.map((days, i) => monthGrid(year, i + 1, days, pick))),
        )
      : el('div', { class: 'msg err', role: 'alert' }, `${year}年没有节假日安排数据，请在下方导入该年的安排文件。`),
    el('div', { class: 'two' },
      el('section', { class: 'card' }, el('h2', { id: 'override-title' }, '调整某一天'), el('p', { class: 'muted' }, '点击日历中的日期可快速填入。'), ovForm),
      el('section', { class: 'card' }, el('h2', { id: 'load-title' }, '导入节假日安排'), el('p', { class: 'muted' }, '国务院办公厅公布次年安排后，导入 holiday-cn 格式文件：{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}, …]}'), loadForm),
    ),
    table(
      ['日期', '设为', '原因', '操作人'],
      status.overrides.map((o) => el('tr', {}, el('td', {}, o.date), el('td', {}, o.workday ? '上班' : '休息'), el('td', {}, o.reason), el('td', {}, o.created_by || '—'))),
      '人工调整',
    ),
    table(
      ['年份', '文件', '导入人', '导入时间'],
      status.arrangements.map((a) => el('tr', {}, el('td', {}, a.year), el('td', {}, a.source || '—'), el('td', {}, a.loaded_by || '—'), el('td', {}, new Date(a.loaded_at).toLocaleString('zh-CN')))),
      '已导入的年度安排（其余年份使用内置数据）',
    ),
  );
}
