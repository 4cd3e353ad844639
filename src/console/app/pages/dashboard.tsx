// 统计概览: the work queues, totals, a chart per jurisdiction (inline SVG), and a table per unit.
import type { JSX } from 'preact';
import { api, qs } from '../api';
import type { Dashboard, NoticeItem, Page, Queues } from '../types';
import { Field, fmtPct, formText, hashQuery, Loading, Select, setHashQuery, Table, useLoad } from '../ui';

interface Bar {
  label: string;
  overdue: number | null;
  onTime: number | null;
}

function BarChart({ rows, title }: { rows: Bar[]; title: string }): JSX.Element {
  const rowH = 26;
  const labelW = 120;
  const barW = 360;
  const h = rows.length * rowH + 40;
  const ly = h - 14;
  return (
    <svg viewBox={`0 0 ${labelW + barW + 70} ${h}`} width={labelW + barW + 70} height={h} class="chart" role="img" aria-labelledby="chart-title chart-desc">
      <title id="chart-title">{title}</title>
      <desc id="chart-desc">{rows.map((r) => `${r.label}：逾期率 ${fmtPct(r.overdue)}，按时整改率 ${fmtPct(r.onTime)}`).join('；')}</desc>
      {rows.map((r, i) => {
        const y = 10 + i * rowH;
        return (
          <g key={r.label}>
            <text x={labelW - 6} y={y + 15} text-anchor="end">
              {r.label.length > 9 ? `${r.label.slice(0, 9)}…` : r.label}
            </text>
            <rect x={labelW} y={y} width={barW} height={9} fill="#eef1f5" />
            <rect x={labelW} y={y} width={Math.round(barW * (r.overdue ?? 0))} height={9} fill="#c0392b" />
            <rect x={labelW} y={y + 11} width={barW} height={9} fill="#eef1f5" />
            <rect x={labelW} y={y + 11} width={Math.round(barW * (r.onTime ?? 0))} height={9} fill="#1b7a3d" />
            <text x={labelW + barW + 6} y={y + 9}>
              {fmtPct(r.overdue)}
            </text>
            <text x={labelW + barW + 6} y={y + 20}>
              {fmtPct(r.onTime)}
            </text>
          </g>
        );
      })}
      <rect x={labelW} y={ly - 9} width={10} height={10} fill="#c0392b" />
      <text x={labelW + 14} y={ly}>
        逾期率
      </text>
      <rect x={labelW + 80} y={ly - 9} width={10} height={10} fill="#1b7a3d" />
      <text x={labelW + 94} y={ly}>
        按时整改率
      </text>
    </svg>
  );
}

/** The saved views of the work-order list, with their Chinese names (the dashboard's queues). */
export const VIEWS: [keyof Queues, string][] = [
  ['my_review', '我的待审核'],
  ['due_today', '今日到期'],
  ['overdue', '已逾期'],
  ['repeat', '重复通报'],
];

export function DashboardPage(): JSX.Element {
  const q = hashQuery();
  const year = q.get('year') || '';
  const noticeId = q.get('notice_id') || '';
  const data = useLoad(() => Promise.all([api<Dashboard>('GET', `/dashboard${qs({ year, notice_id: noticeId })}`), api<Page<NoticeItem>>('GET', '/notices?page_size=200')]));
  if (!data) return <Loading data={data} />;
  const [d, notices] = data;
  const t = d.totals;
  const thisYear = new Date().getFullYear();
  return (
    <section>
      <h1>统计概览</h1>
      {d.queues ? (
        <nav class="queues" aria-label="待办队列">
          {VIEWS.map(([id, label]) => (
            <a key={id} class="queue" href={`#/work-orders?view=${id}`}>
              <span>{label}</span>
              <b>{d.queues?.[id] ?? 0}</b>
            </a>
          ))}
        </nav>
      ) : null}
      <form
        class="filters card"
        onSubmit={(ev) => {
          ev.preventDefault();
          const fd = new FormData(ev.currentTarget);
          setHashQuery('/', { year: formText(fd.get('year')), notice_id: formText(fd.get('notice_id')) });
        }}
      >
        <Field label="年份">
          <Select name="year" options={[['', '全部'], ...[0, 1, 2, 3].map((i) => [thisYear - i, `${thisYear - i}年`] as const)]} value={year} />
        </Field>
        <Field label="通报">
          <Select name="notice_id" options={[['', '全部'], ...notices.items.map((n) => [n.id, n.doc_no] as const)]} value={noticeId} />
        </Field>
        <button type="submit">筛选</button>
      </form>
      <div class="stats">
        {(
          [
            ['工单总数', t.total],
            ['已办结', t.closed],
            ['在办', t.open],
            ['曾逾期', t.overdue],
            ['逾期率', fmtPct(t.overdue_rate)],
            ['按时整改率', fmtPct(t.on_time_rate)],
          ] as const
        ).map(([k, v]) => (
          <div key={k} class="stat">
            <span class="muted">{k}</span>
            <b>{v}</b>
          </div>
        ))}
      </div>
      <h2>各辖区</h2>
      {d.jurisdictions.length ? (
        <div class="card">
          <BarChart rows={d.jurisdictions.map((j) => ({ label: j.jurisdiction, overdue: j.overdue_rate, onTime: j.on_time_rate }))} title="各辖区逾期率与按时整改率" />
        </div>
      ) : (
        <p class="muted">暂无工单。</p>
      )}
      <h2>各单位</h2>
      <Table
        headers={[
          '单位',
          '辖区',
          { text: '工单', class: 'num' },
          { text: '已办结', class: 'num' },
          { text: '曾逾期', class: 'num' },
          { text: '逾期率', class: 'num' },
          { text: '按时整改率', class: 'num' },
        ]}
      >
        {d.units.map((u) => (
          <tr key={u.unit_id ?? u.unit_name}>
            <td>{u.unit_id ? <a href={`#/work-orders${qs({ unit_id: u.unit_id })}`}>{u.unit_name}</a> : u.unit_name}</td>
            <td>{u.jurisdiction || '—'}</td>
            <td class="num">{u.total}</td>
            <td class="num">{u.closed}</td>
            <td class="num">{u.overdue}</td>
            <td class="num">{fmtPct(u.overdue_rate)}</td>
            <td class="num">{fmtPct(u.on_time_rate)}</td>
          </tr>
        ))}
      </Table>
      <p class="muted">逾期率 = 曾逾期的工单 / 全部工单；按时整改率 = 按时反馈的工单 / 已有结果的工单（已反馈或已逾期）。已作废的工单不计。</p>
    </section>
  );
}
