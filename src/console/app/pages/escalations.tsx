// 升级处理: repeat offenders and overdue ladders, with the action taken; 督办设置 (the ladder,
// reminders, 勤务时段).
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, isAdmin, qs } from '../api';
import type { Page } from '../types';
import { attempt, confirmFirst, Field, flash, fmtTime, formText, hashQuery, Loading, Pager, reload, Select, setHashQuery, Table, useLoad } from '../ui';

interface Escalation {
  id: number;
  kind: string;
  kind_label: string;
  status: string;
  status_label: string;
  year: number | null;
  step: number | null;
  count: number | null;
  proposed_action: string | null;
  action_taken: string | null;
  actioned_by: string | null;
  actioned_at: string | null;
  target: { name: string; kind_label: string; platform: string | null } | null;
  unit: { name: string } | null;
  work_order: { id: number; code: string } | null;
}

interface Settings {
  ladder: { role: string; after_working_days: number }[];
  roles: Record<string, string>;
  purposes: Record<string, string>;
  reminder_morning: string | null;
  reminder_before_minutes: number | null;
  quiet_hours: string | null;
  quiet_allow: string[];
}

function ActionCell({ e }: { e: Escalation }): JSX.Element {
  const [text, setText] = useState(e.action_taken || '');
  if (!isAdmin() || e.status === 'closed') return <>{e.action_taken ? `${e.action_taken}（${e.actioned_by || ''}，${fmtTime(e.actioned_at)}）` : '—'}</>;
  const go = (status: 'actioned' | 'closed') => async () => {
    if (status === 'closed' && !(await confirmFirst(`关闭升级事项 #${e.id}？关闭后不再跟进。`, { confirmText: '关闭' }))) return;
    if (await attempt(() => api('POST', `/escalations/${e.id}/action`, { status, action_taken: text }))) {
      flash('已记录', 'ok', true);
      reload();
    }
  };
  return (
    <div class="actions">
      <input aria-label={`事项 ${e.id} 采取的措施`} value={text} placeholder={e.proposed_action || ''} onInput={(ev) => setText(ev.currentTarget.value)} />
      <button type="button" onClick={go('actioned')}>
        记录措施
      </button>
      <button type="button" class="secondary" onClick={go('closed')}>
        关闭
      </button>
    </div>
  );
}

/** 督办设置: the overdue ladder (role and working days overdue per step), reminders, 勤务时段. */
function SettingsCard({ s }: { s: Settings }): JSX.Element {
  const admin = isAdmin();
  const roleOptions: [string, string][] = [['', '（不用此级）'], ...Object.entries(s.roles)];
  const steps = [0, 1, 2, 3, 4, 5];
  return (
    <details class="card">
      <summary>督办设置：逾期升级 {s.ladder.map((l) => `${s.roles[l.role] ?? '其他'}（第 ${l.after_working_days} 个工作日）`).join(' → ')}</summary>
      <form
        aria-label="督办设置"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const fd = new FormData(ev.currentTarget);
          const get = (k: string) => formText(fd.get(k));
          const ladder = steps.map((i) => ({ role: get(`role${i}`), after_working_days: Number(get(`days${i}`) || 0) })).filter((l) => l.role);
          const body = {
            ladder,
            reminder_morning: get('reminder_morning') || null,
            reminder_before_minutes: get('reminder_before_minutes') ? Number(get('reminder_before_minutes')) : null,
            quiet_hours: get('quiet_hours').trim() || null,
            quiet_allow: fd.getAll('allow').map(String),
          };
          if (await attempt(() => api('PUT', '/settings/followup', body))) {
            flash('督办设置已保存', 'ok', true);
            reload();
          }
        }}
      >
        <p class="muted">工单逾期后按下列顺序逐级通知；工作日数从逾期后的第一个工作时段起算，单位反馈后即停止。</p>
        <Table headers={['级别', '通知对象', { text: '逾期后第几个工作日', class: 'num' }]} caption="逾期升级阶梯">
          {steps.map((i) => {
            const step = s.ladder[i];
            return (
              <tr key={i}>
                <td class="num">第 {i + 1} 级</td>
                <td>
                  <Select name={`role${i}`} options={roleOptions} value={step ? step.role : ''} aria-label={`第 ${i + 1} 级通知对象`} disabled={!admin} />
                </td>
                <td>
                  <input name={`days${i}`} type="number" min={0} max={60} defaultValue={step ? String(step.after_working_days) : ''} aria-label={`第 ${i + 1} 级：逾期后第几个工作日`} disabled={!admin} />
                </td>
              </tr>
            );
          })}
        </Table>
        <Field label="到期当天提醒时刻">
          <input class="narrow" name="reminder_morning" type="time" defaultValue={s.reminder_morning || ''} disabled={!admin} />
        </Field>
        <Field label="截止前提醒（分钟）">
          <input class="narrow" name="reminder_before_minutes" type="number" min={1} max={1440} defaultValue={s.reminder_before_minutes ?? ''} disabled={!admin} />
        </Field>
        <Field label="勤务时段（此时段之外不发消息，如 08:30-18:00；留空表示不限）">
          <input class="narrow" name="quiet_hours" defaultValue={s.quiet_hours || ''} placeholder="08:30-18:00" disabled={!admin} />
        </Field>
        <fieldset>
          <legend>勤务时段之外也可发送的消息</legend>
          {Object.entries(s.purposes).map(([k, label]) => (
            <label key={k} class="check">
              <input type="checkbox" name="allow" value={k} defaultChecked={s.quiet_allow.includes(k)} disabled={!admin} /> {label}
            </label>
          ))}
        </fieldset>
        {admin ? (
          <div class="actions">
            <button type="submit">保存设置</button>
            <button
              type="button"
              class="secondary"
              onClick={async () => {
                if (!(await confirmFirst('把督办设置恢复为默认值？当前的阶梯和提醒设置将被替换。', { confirmText: '恢复默认' }))) return;
                if (await attempt(() => api('POST', '/settings/followup/reset', {}))) {
                  flash('已恢复默认设置', 'ok', true);
                  reload();
                }
              }}
            >
              恢复默认
            </button>
          </div>
        ) : null}
      </form>
    </details>
  );
}

export function EscalationsPage(): JSX.Element {
  const q = hashQuery();
  const f = { kind: q.get('kind') || '', status: q.get('status') || '', year: q.get('year') || '' };
  const page = Number(q.get('page') || 1);
  const data = useLoad(() => Promise.all([api<Page<Escalation>>('GET', `/escalations${qs({ ...f, page, page_size: 50 })}`), api<Settings>('GET', '/settings/followup')]));
  if (!data) return <Loading data={data} />;
  const [list, settings] = data;
  return (
    <section>
      <h1>升级处理</h1>
      <SettingsCard s={settings} />
      <form
        class="filters card"
        onSubmit={(ev) => {
          ev.preventDefault();
          const fd = new FormData(ev.currentTarget);
          setHashQuery('/escalations', { kind: formText(fd.get('kind')), status: formText(fd.get('status')), year: formText(fd.get('year')) });
        }}
      >
        <Field label="类型">
          <Select name="kind" options={[['', '全部'], ['repeat_target', '重复通报对象'], ['repeat_unit', '重复通报单位'], ['overdue', '逾期升级']]} value={f.kind} />
        </Field>
        <Field label="状态">
          <Select name="status" options={[['', '全部'], ['open', '待处理'], ['delivered', '已通知'], ['actioned', '已处理'], ['closed', '已关闭']]} value={f.status} />
        </Field>
        <Field label="年份">
          <input name="year" type="number" min={2000} max={2100} defaultValue={f.year} />
        </Field>
        <button type="submit">筛选</button>
      </form>
      <Table headers={['#', '类型', '对象 / 单位', '年份', { text: '次数 / 升级级别', class: 'num' }, '建议措施', '状态', '采取的措施']} caption="升级事项">
        {list.items.map((e) => (
          <tr key={e.id}>
            <td class="num">{e.id}</td>
            <td>{e.kind_label}</td>
            <td>
              {e.target ? `${e.target.name}（${e.target.kind_label}${e.target.platform ? ` · ${e.target.platform}` : ''}）` : ''}
              {e.unit ? <div class="muted">{e.unit.name}</div> : null}
              {e.work_order ? <a href={`#/work-orders/${e.work_order.id}`}>{e.work_order.code}</a> : null}
            </td>
            <td>{e.year ?? '—'}</td>
            <td class="num">{e.kind === 'overdue' ? `第 ${e.step} 级` : (e.count ?? '—')}</td>
            <td>{e.proposed_action || '—'}</td>
            <td>{e.status_label}</td>
            <td>
              <ActionCell e={e} />
            </td>
          </tr>
        ))}
      </Table>
      <Pager page={page} pageSize={50} total={list.total} go={(p) => setHashQuery('/escalations', { ...f, page: p })} />
    </section>
  );
}
