// 工作日日历: a year view (working days, holidays, make-up days), overrides, arrangement files.
import type { JSX } from 'preact';
import { useRef } from 'preact/hooks';
import { api, isAdmin } from '../api';
import { attempt, confirmFirst, Field, flash, hashQuery, Loading, reload, Select, setHashQuery, Table, useLoad } from '../ui';

const TYPE_LABELS: Record<string, string> = { workday: '工作日', weekend: '休息日', holiday: '节假日', makeup: '调休上班' };
const WEEK = ['一', '二', '三', '四', '五', '六', '日'];

interface Day {
  date: string;
  type: string;
  workday: boolean;
  name: string | null;
  source: string;
}

interface Status {
  today: string;
  covered_years: number[];
  next_year: number;
  warning: string | null;
  overrides: { date: string; workday: boolean; reason: string; created_by: string | null }[];
  arrangements: { year: number; source: string | null; loaded_by: string | null; loaded_at: string }[];
}

function MonthGrid({ year, month, days, onPick }: { year: number; month: number; days: Day[]; onPick: (d: Day) => void }): JSX.Element {
  const lead = (new Date(Date.UTC(year, month - 1, 1)).getUTCDay() + 6) % 7;
  const cells: (Day | null)[] = [...Array<null>(lead).fill(null), ...days];
  const rows: (Day | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) rows.push(cells.slice(i, i + 7));
  return (
    <div class="month">
      <table>
        <caption>{month}月</caption>
        <thead>
          <tr>
            {WEEK.map((w) => (
              <th key={w} scope="col" abbr={`星期${w}`}>
                {w}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((d, j) => (
                <td key={j}>
                  {d ? (
                    <button
                      type="button"
                      class={`day ${d.type}${d.source === 'override' ? ' override' : ''}`}
                      title={`${d.date} ${TYPE_LABELS[d.type]}${d.name ? ` ${d.name}` : ''}${d.source === 'override' ? '（人工调整）' : ''}`}
                      aria-label={`${d.date} ${TYPE_LABELS[d.type]}${d.name ? ` ${d.name}` : ''}${d.source === 'override' ? ' 人工调整' : ''}`}
                      data-date={d.date}
                      data-type={d.type}
                      onClick={() => onPick(d)}
                    >
                      {Number(d.date.slice(8))}
                    </button>
                  ) : null}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const calendarChanged = () => {
  window.dispatchEvent(new Event('rectify:calendar-changed'));
  reload();
};

export function CalendarPage(): JSX.Element {
  const data = useLoad(async () => {
    const status = await api<Status>('GET', '/calendar/status');
    const year = Number(hashQuery().get('year') || status.today.slice(0, 4));
    const cal = await api<{ days: Day[]; provisional: boolean; covered: boolean }>('GET', `/calendar/years/${year}`);
    return { status, year, cal };
  });
  const ov = useRef<HTMLFormElement>(null);
  if (!data) return <Loading data={data} />;
  const { status, year, cal } = data;
  const field = (n: string) => ov.current?.elements.namedItem(n) as HTMLInputElement | HTMLSelectElement | null;
  const pick = (d: Day) => {
    const date = field('date');
    const workday = field('workday');
    const reason = field('reason');
    if (date) date.value = d.date;
    if (workday) workday.value = d.workday ? 'false' : 'true';
    if (reason) {
      reason.value = d.source === 'override' ? d.name || '' : '';
      reason.focus();
    }
  };
  const years = [...new Set([...status.covered_years.slice(-4), status.next_year, year])].sort();
  const byMonth = Array.from({ length: 12 }, (_, i) => cal.days.filter((d) => Number(d.date.slice(5, 7)) === i + 1));
  return (
    <section>
      <h1>工作日日历</h1>
      <div class="actions">
        <Field label="年份">
          <Select name="year" options={years.map((y) => [y, `${y}年${status.covered_years.includes(y) ? '' : '（无数据）'}`] as const)} value={year} onChange={(ev) => setHashQuery('/calendar', { year: ev.currentTarget.value })} />
        </Field>
        <span class="muted">
          今天 {status.today}；有数据的年份：{status.covered_years[0]}–{status.covered_years[status.covered_years.length - 1]}
        </span>
      </div>
      {cal.provisional ? (
        <div class="msg err" role="alert">
          {year}年节假日安排尚未导入：下表按《全国年节及纪念日放假办法》暂定（元旦、春节、清明、劳动节、端午、中秋、国庆，不含调休），跨入{year}年的期限均标注“暂定”，导入后自动重算。
        </div>
      ) : null}
      {cal.covered || cal.provisional ? (
        <div>
          <div class="legend">
            <span class="l-workday">工作日</span>
            <span class="l-weekend">休息日</span>
            <span class="l-holiday">节假日</span>
            <span class="l-makeup">调休上班</span>
            <span class="l-override">人工调整</span>
          </div>
          <div class="months">
            {byMonth.map((days, i) => (
              <MonthGrid key={i} year={year} month={i + 1} days={days} onPick={pick} />
            ))}
          </div>
        </div>
      ) : (
        <div class="msg err" role="alert">
          {year}年没有节假日安排数据，请在下方导入该年的安排文件。
        </div>
      )}
      <div class="two">
        <section class="card">
          <h2 id="override-title">调整某一天</h2>
          <p class="muted">点击日历中的日期可快速填入。</p>
          <form
            ref={ov}
            class="grid"
            aria-labelledby="override-title"
            onSubmit={async (ev) => {
              ev.preventDefault();
              const date = field('date')?.value ?? '';
              const workday = field('workday')?.value === 'true';
              const res = await attempt(() => api('PUT', `/calendar/overrides/${date}`, { workday, reason: field('reason')?.value ?? '' }));
              if (res) {
                flash(`已将 ${date} 设为${workday ? '上班' : '休息'}`, 'ok', true);
                calendarChanged();
              }
            }}
          >
            <Field label="日期">
              <input name="date" type="date" required />
            </Field>
            <Field label="设为">
              <Select name="workday" options={[['true', '上班（工作日 / 调休上班）'], ['false', '休息']]} value="true" />
            </Field>
            <Field label="原因">
              <input name="reason" required placeholder="如 调休上班" />
            </Field>
            <div class="actions">
              <button type="submit" disabled={!isAdmin()}>
                保存调整
              </button>
              <button
                type="button"
                class="danger"
                disabled={!isAdmin()}
                onClick={async () => {
                  const date = field('date')?.value;
                  if (!date) return flash('请先选择日期', 'err');
                  if (!(await confirmFirst(`撤销 ${date} 的人工调整？该日恢复为节假日安排中的类型，相关期限将重算。`, { confirmText: '撤销调整' }))) return;
                  if (await attempt(() => api('DELETE', `/calendar/overrides/${date}`))) {
                    flash(`已撤销 ${date} 的调整`, 'ok', true);
                    calendarChanged();
                  }
                }}
              >
                撤销该日调整
              </button>
            </div>
          </form>
        </section>
        <section class="card">
          <h2 id="load-title">导入节假日安排</h2>
          <p class="muted">国务院办公厅公布次年安排后，导入 holiday-cn 格式文件：{'{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}, …]}'}</p>
          <form
            class="grid"
            aria-labelledby="load-title"
            onSubmit={async (ev) => {
              ev.preventDefault();
              const res = await attempt(() =>
                api<{ year: number; off_days: number; makeup_days: number; recomputed: { checked: number; changed: number; confirmed: number } | null }>('POST', '/calendar/arrangements', new FormData(ev.currentTarget)),
              );
              if (res) {
                const r = res.recomputed;
                const recomputed = r && r.checked ? `暂定期限已重算 ${r.checked} 张：期限变化 ${r.changed} 张（已告知单位），不变 ${r.confirmed} 张。` : '';
                flash(`已导入 ${res.year} 年节假日安排：放假 ${res.off_days} 天，调休上班 ${res.makeup_days} 天。${recomputed}`, 'ok', true);
                calendarChanged();
              }
            }}
          >
            <Field label="节假日安排文件（JSON）">
              <input type="file" name="file" accept=".json,application/json" required />
            </Field>
            <button type="submit" disabled={!isAdmin()}>
              导入
            </button>
          </form>
        </section>
      </div>
      <Table headers={['日期', '设为', '原因', '操作人']} caption="人工调整">
        {status.overrides.map((o) => (
          <tr key={o.date}>
            <td>{o.date}</td>
            <td>{o.workday ? '上班' : '休息'}</td>
            <td>{o.reason}</td>
            <td>{o.created_by || '—'}</td>
          </tr>
        ))}
      </Table>
      <Table headers={['年份', '文件', '导入人', '导入时间']} caption="已导入的年度安排（其余年份使用内置数据）">
        {status.arrangements.map((a) => (
          <tr key={a.year}>
            <td>{a.year}</td>
            <td>{a.source || '—'}</td>
            <td>{a.loaded_by || '—'}</td>
            <td>{new Date(a.loaded_at).toLocaleString('zh-CN')}</td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
