// 统计概览: totals, a chart per jurisdiction (inline SVG), and a table per unit.
import { api, el, field, fmtPct, hashQuery, qs, select, setHashQuery, svgEl, table } from '../lib.js';

function barChart(rows, title) {
  const rowH = 26;
  const labelW = 120;
  const barW = 360;
  const h = rows.length * rowH + 40;
  const svg = svgEl('svg', { viewBox: `0 0 ${labelW + barW + 70} ${h}`, width: labelW + barW + 70, height: h, class: 'chart', role: 'img', 'aria-labelledby': 'chart-title chart-desc' });
  svg.append(svgEl('title', { id: 'chart-title' }, title));
  svg.append(svgEl('desc', { id: 'chart-desc' }, rows.map((r) => `${r.label}：逾期率 ${fmtPct(r.overdue)}，按时整改率 ${fmtPct(r.onTime)}`).join('；')));
  rows.forEach((r, i) => {
    const y = 10 + i * rowH;
    svg.append(svgEl('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end' }, r.label.length > 9 ? `${r.label.slice(0, 9)}…` : r.label));
    svg.append(svgEl('rect', { x: labelW, y, width: barW, height: 9, fill: '#eef1f5' }));
    svg.append(svgEl('rect', { x: labelW, y, width: Math.round(barW * (r.overdue ?? 0)), height: 9, fill: '#c0392b' }));
    svg.append(svgEl('rect', { x: labelW, y: y + 11, width: barW, height: 9, fill: '#eef1f5' }));
    svg.append(svgEl('rect', { x: labelW, y: y + 11, width: Math.round(barW * (r.onTime ?? 0)), height: 9, fill: '#1b7a3d' }));
    svg.append(svgEl('text', { x: labelW + barW + 6, y: y + 9 }, fmtPct(r.overdue)));
    svg.append(svgEl('text', { x: labelW + barW + 6, y: y + 20 }, fmtPct(r.onTime)));
  });
  const ly = h - 14;
  svg.append(svgEl('rect', { x: labelW, y: ly - 9, width: 10, height: 10, fill: '#c0392b' }));
  svg.append(svgEl('text', { x: labelW + 14, y: ly }, '逾期率'));
  svg.append(svgEl('rect', { x: labelW + 80, y: ly - 9, width: 10, height: 10, fill: '#1b7a3d' }));
  svg.append(svgEl('text', { x: labelW + 94, y: ly }, '按时整改率'));
  return svg;
}

export async function dashboardPage() {
  const q = hashQuery();
  const year = q.get('year') || '';
  const noticeId = q.get('notice_id') || '';
  const [d, notices] = await Promise.all([
    api('GET', `/dashboard${qs({ year, notice_id: noticeId })}`),
    api('GET', '/notices?page_size=200'),
  ]);
  const t = d.totals;
  const thisYear = new Date().getFullYear();
  const filters = el(
    'form',
    {
      class: 'filters card',
      onsubmit: (ev) => {
        ev.preventDefault();
        const fd = new FormData(ev.target);
        setHashQuery('/', { year: fd.get('year'), notice_id: fd.get('notice_id') });
      },
    },
    field('年份', select('year', [['', '全部'], ...[0, 1, 2, 3].map((i) => [thisYear - i, `${thisYear - i}年`])], year)),
    field('通报', select('notice_id', [['', '全部'], ...notices.items.map((n) => [n.id, `${n.doc_no}`])], noticeId)),
    el('button', { type: 'submit' }, '筛选'),
  );
  return el(
    'section',
    {},
    el('h1', {}, '统计概览'),
    filters,
    el(
      'div',
      { class: 'stats' },
      [
        ['工单总数', t.total],
        ['已办结', t.closed],
        ['在办', t.open],
        ['曾逾期', t.overdue],
        ['逾期率', fmtPct(t.overdue_rate)],
        ['按时整改率', fmtPct(t.on_time_rate)],
      ].map(([k, v]) => el('div', { class: 'stat' }, el('span', { class: 'muted' }, k), el('b', {}, v))),
    ),
    el('h2', {}, '各辖区'),
    d.jurisdictions.length
      ? el('div', { class: 'card' }, barChart(d.jurisdictions.map((j) => ({ label: j.jurisdiction, overdue: j.overdue_rate, onTime: j.on_time_rate })), '各辖区逾期率与按时整改率'))
      : el('p', { class: 'muted' }, '暂无工单。'),
    el('h2', {}, '各单位'),
    table(
      ['单位', '辖区', { text: '工单', class: 'num' }, { text: '已办结', class: 'num' }, { text: '曾逾期', class: 'num' }, { text: '逾期率', class: 'num' }, { text: '按时整改率', class: 'num' }],
      d.units.map((u) =>
        el(
          'tr',
          {},
          el('td', {}, u.unit_id ? el('a', { href: `#/work-orders${qs({ unit_id: u.unit_id })}` }, u.unit_name) : u.unit_name),
          el('td', {}, u.jurisdiction || '—'),
          el('td', { class: 'num' }, u.total),
          el('td', { class: 'num' }, u.closed),
          el('td', { class: 'num' }, u.overdue),
          el('td', { class: 'num' }, fmtPct(u.overdue_rate)),
          el('td', { class: 'num' }, fmtPct(u.on_time_rate)),
        ),
      ),
    ),
    el('p', { class: 'muted' }, '逾期率 = 曾逾期的工单 / 全部工单；按时整改率 = 按时反馈的工单 / 已有结果的工单（已反馈或已逾期）。已作废的工单不计。'),
  );
}
