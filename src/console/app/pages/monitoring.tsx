// 新建工单: one monitoring work order (内容监测工单), typed or filled from pasted platform text,
// with the deadline shown before saving; 监测工单统计: on-time rates per source and unit, and the
// sources admins keep.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, isAdmin, qs } from '../api';
import { attempt, Field, flash, fmtPct, fmtTime, formText, hashQuery, Loading, reload, Select, setHashQuery, Table, useLoad } from '../ui';

const KIND_LABELS: Record<string, string> = { website: '政府网站', column: '网站栏目', newmedia: '政务新媒体' };
const BASIS: Record<string, string> = { stated: '平台注明', rule: '按期限规则', default: '默认：接收后 1 个工作日' };

interface Source {
  name: string;
  counts_repeats: boolean;
  active: boolean;
}

interface Draft {
  target?: string | null;
  unit?: string | null;
  platform?: string | null;
  problem?: string | null;
  source?: string | null;
  external_no?: string | null;
  external_url?: string | null;
  received_at?: string | null;
  due_at?: string | null;
  error?: string | null;
}

interface OrderPreview {
  due_at: string;
  due_basis: string;
  problems: { label: string }[];
  target: { known: boolean };
  unit: { name: string | null; known: boolean };
  existing: { code: string } | null;
  problems_to_fix: string[];
}

interface KnownTarget {
  name: string;
  kind: string;
  platform: string | null;
  unit: { name: string } | null;
}

/** "2026-11-27T15:32:00+08:00" → the value of a datetime-local input (business time as written). */
const localValue = (iso: string | null | undefined) => (iso ? iso.slice(0, 16) : '');

function readFile(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve((typeof r.result === 'string' ? r.result : '').replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(new Error('无法读取截图文件'));
    r.readAsDataURL(file);
  });
}

const FIELDS = ['target', 'unit', 'platform', 'problem', 'source', 'external_no', 'external_url', 'received_at', 'due_at'] as const;

function OrderForm({ sources, draft }: { sources: Source[]; draft: { d: Draft | null; seq: number } }): JSX.Element {
  const form = useRef<HTMLFormElement>(null);
  const [preview, setPreview] = useState('—');
  const [known, setKnown] = useState<KnownTarget[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const now = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 16); // business time (UTC+8)
  const input = (n: string) => form.current?.elements.namedItem(n) as HTMLInputElement | null;
  const body = () => {
    const v = (n: string) => input(n)?.value.trim() || undefined;
    return {
      target: v('target') ?? '',
      unit: v('unit'),
      platform: v('platform'),
      problem: v('problem') ?? '',
      source: v('source'),
      external_no: v('external_no'),
      external_url: v('external_url'),
      received_at: v('received_at'),
      due_at: v('due_at'),
    };
  };
  const update = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const b = body();
      if (!b.target || !b.problem) return setPreview('填写对象和问题描述后显示办理时限。');
      api<OrderPreview>('POST', '/work-orders/preview', b).then(
        (p) =>
          setPreview(
            [
              `办理时限：${fmtTime(p.due_at)}（${BASIS[p.due_basis] ?? '—'}）`,
              `问题分类：${p.problems.map((x) => x.label).join('、')}`,
              `对象：${p.target.known ? '已登记' : '新对象，保存时登记'}`,
              p.unit.name ? `单位：${p.unit.name}${p.unit.known ? '' : '（新单位，保存时登记）'}` : null,
              p.existing ? `⚠ 该平台工单已录入为 ${p.existing.code}，保存不会重复新建` : null,
              ...p.problems_to_fix.map((x) => `⚠ ${x}`),
            ]
              .filter(Boolean)
              .join('；'),
          ),
        (e: unknown) => setPreview(e instanceof Error ? e.message : String(e)),
      );
    }, 200);
  };
  useEffect(() => {
    const d = draft.d;
    for (const k of FIELDS) {
      const i = input(k);
      if (!i) continue;
      if (k === 'source') {
        if (d?.source) i.value = d.source;
      } else if (k === 'received_at') i.value = localValue(d?.received_at) || now;
      else if (k === 'due_at') i.value = localValue(d?.due_at);
      else i.value = d?.[k] ?? '';
    }
    update();
  }, [draft.seq]);
  return (
    <>
      <h2 id="order-form-title">工单内容</h2>
      <form
        ref={form}
        class="grid"
        aria-labelledby="order-form-title"
        onInput={update}
        onSubmit={async (ev) => {
          ev.preventDefault();
          const b: ReturnType<typeof body> & { screenshot?: { mime: string; data_base64: string } } = body();
          const file = (input('screenshot')?.files ?? [])[0];
          if (file) b.screenshot = { mime: file.type, data_base64: await readFile(file) };
          const r = await attempt(() => api<{ id: number; code: string; created: boolean; unit: string; target: string; due_at: string }>('POST', '/work-orders', b));
          if (!r) return;
          flash(r.created ? `已新建工单 ${r.code}（${r.unit} · ${r.target}），办理时限 ${fmtTime(r.due_at)}。单位联系人将收到通知。` : `该平台工单已录入过（工单 ${r.code}），未重复新建。`, 'ok', true);
          location.hash = `#/work-orders/${r.id}`;
        }}
      >
        <Field label="对象（账号或网站）">
          <input
            name="target"
            required
            list="known-targets"
            autocomplete="off"
            onInput={async (ev) => {
              const q = ev.currentTarget.value.trim();
              const hit = known.find((t) => t.name === q);
              const unit = input('unit');
              const platform = input('platform');
              if (hit) {
                if (unit && !unit.value && hit.unit) unit.value = hit.unit.name;
                if (platform && !platform.value && hit.platform) platform.value = hit.platform;
              }
              if (!q) return;
              const r = await api<{ items: KnownTarget[] }>('GET', `/monitoring/targets${qs({ q })}`).catch(() => ({ items: [] }));
              setKnown(r.items);
            }}
          />
        </Field>
        <datalist id="known-targets">
          {known.map((t) => (
            <option key={t.name} value={t.name}>
              {`${t.platform || KIND_LABELS[t.kind] || '—'}${t.unit ? ` · ${t.unit.name}` : ''}`}
            </option>
          ))}
        </datalist>
        <Field label="主办单位（已登记对象可不填）">
          <input name="unit" />
        </Field>
        <Field label="平台">
          <input name="platform" placeholder="如 微信公众号、新浪微博、抖音、网站" />
        </Field>
        <Field label="问题描述">
          <textarea name="problem" rows={3} required />
        </Field>
        <Field label="来源">
          <Select name="source" options={sources.map((s) => [s.name, s.name] as const)} value={sources[0]?.name} />
        </Field>
        <Field label="平台工单编号">
          <input name="external_no" />
        </Field>
        <Field label="平台工单链接">
          <input name="external_url" type="url" placeholder="https://" />
        </Field>
        <Field label="接收时间">
          <input name="received_at" type="datetime-local" required />
        </Field>
        <Field label="平台注明的办理时限（可不填）">
          <input name="due_at" type="datetime-local" />
        </Field>
        <Field label="截图（可选）">
          <input name="screenshot" type="file" accept="image/png,image/jpeg,image/gif,image/webp" />
        </Field>
        <div class="actions">
          <button type="submit">保存工单</button>
          <button type="button" class="secondary" onClick={() => form.current?.reset()}>
            清空
          </button>
        </div>
      </form>
      <p class="preview-line" aria-live="polite">
        {preview}
      </p>
    </>
  );
}

export function NewOrderPage(): JSX.Element {
  const sources = useLoad(async () => (await api<{ items: Source[] }>('GET', '/monitoring/sources')).items);
  const [drafts, setDrafts] = useState<Draft[] | null>(null);
  const [draft, setDraft] = useState<{ d: Draft | null; seq: number }>({ d: null, seq: 0 });
  const fill = (d: Draft | null) => setDraft((x) => ({ d, seq: x.seq + 1 }));
  if (!isAdmin()) {
    return (
      <section>
        <h1>新建监测工单</h1>
        <p class="muted">只有管理员可以新建工单。</p>
      </section>
    );
  }
  if (!sources) return <Loading data={sources} />;
  return (
    <section>
      <h1>新建监测工单</h1>
      <form
        class="card"
        aria-labelledby="paste-title"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const text = formText(new FormData(ev.currentTarget).get('text'));
          const r = await attempt(() => api<{ drafts: Draft[] }>('POST', '/work-orders/parse', { text }));
          if (!r) return;
          setDrafts(r.drafts);
          if (r.drafts.length) fill(r.drafts[0]);
        }}
      >
        <h2 id="paste-title">从平台消息识别</h2>
        <Field label="平台消息">
          <textarea name="text" rows={6} placeholder="把平台上的工单消息粘贴到这里（可一次粘贴多条）" />
        </Field>
        <div class="actions">
          <button type="submit">识别</button>
        </div>
        <div aria-live="polite">
          {drafts ? (
            <>
              <p>识别出 {drafts.length} 条工单：</p>
              <ol>
                {drafts.map((d, i) => (
                  <li key={i}>
                    {`${d.external_no || '（无编号）'} · ${d.target || '（未识别对象）'} · ${d.platform || '—'}${d.error ? `（${d.error}）` : ''} `}
                    <button type="button" class="secondary" onClick={() => fill(d)} aria-label={`填入第 ${i + 1} 条`}>
                      填入表单
                    </button>
                  </li>
                ))}
              </ol>
            </>
          ) : null}
        </div>
      </form>
      <OrderForm sources={sources} draft={draft} />
    </section>
  );
}

interface StatRow {
  period: string;
  source?: string;
  unit_name?: string;
  total: number;
  answered: number;
  on_time: number;
  late_unanswered: number;
  on_time_rate: number | null;
  median_answer_hours: number | null;
}

function SourcesEditor({ initial }: { initial: Source[] }): JSX.Element {
  const [list, setList] = useState<Source[]>(initial.map((s) => ({ ...s })));
  const set = (i: number, patch: Partial<Source>) => setList((l) => l.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  return (
    <>
      <h2>来源设置</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">来源</th>
              <th scope="col">计入通报次数</th>
              <th scope="col">启用</th>
            </tr>
          </thead>
          <tbody>
            {list.map((s, i) => (
              <tr key={i}>
                <td>
                  <input value={s.name} aria-label={`来源 ${i + 1} 名称`} disabled={!isAdmin()} onInput={(e) => set(i, { name: e.currentTarget.value })} />
                </td>
                <td>
                  <input type="checkbox" checked={s.counts_repeats} aria-label={`${s.name} 计入通报次数`} disabled={!isAdmin()} onChange={(e) => set(i, { counts_repeats: e.currentTarget.checked })} />
                </td>
                <td>
                  <input type="checkbox" checked={s.active} aria-label={`${s.name} 启用`} disabled={!isAdmin()} onChange={(e) => set(i, { active: e.currentTarget.checked })} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {isAdmin() ? (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => setList((l) => [...l, { name: '', counts_repeats: false, active: true }])}>
            添加来源
          </button>
          <button
            type="button"
            onClick={async () => {
              const items = list.filter((s) => s.name.trim()).map((s) => ({ name: s.name.trim(), counts_repeats: s.counts_repeats, active: s.active }));
              if (await attempt(() => api('PUT', '/monitoring/sources', { items }))) {
                flash('来源设置已保存。', 'ok', true);
                reload();
              }
            }}
          >
            保存来源设置
          </button>
        </div>
      ) : null}
    </>
  );
}

export function MonitoringPage(): JSX.Element {
  const params = hashQuery();
  const period = params.get('period') || 'month';
  const year = params.get('year') || String(new Date().getFullYear());
  const data = useLoad(() =>
    Promise.all([
      api<{ totals: { total: number; on_time_rate: number | null; median_answer_hours: number | null }; by_source: StatRow[]; by_unit: StatRow[] }>('GET', `/monitoring/stats${qs({ period, year })}`),
      api<{ items: Source[] }>('GET', '/monitoring/sources?all=true'),
    ]),
  );
  const go = (p: Record<string, string>) => setHashQuery('/monitoring', { period, year, ...p });
  if (!data) return <Loading data={data} />;
  const [stats, sources] = data;
  const head = (name: string) => [
    '周期',
    name,
    { text: '工单数', class: 'num' },
    { text: '已反馈', class: 'num' },
    { text: '期限内反馈', class: 'num' },
    { text: '逾期未反馈', class: 'num' },
    { text: '按时办结率', class: 'num' },
    { text: '反馈用时中位数（小时）', class: 'num' },
  ];
  const row = (r: StatRow, name: string | undefined, i: number) => (
    <tr key={i}>
      <td>{r.period}</td>
      <td>{name}</td>
      <td class="num">{r.total}</td>
      <td class="num">{r.answered}</td>
      <td class="num">{r.on_time}</td>
      <td class="num">{r.late_unanswered}</td>
      <td class="num">{fmtPct(r.on_time_rate)}</td>
      <td class="num">{r.median_answer_hours ?? '—'}</td>
    </tr>
  );
  return (
    <section>
      <h1>监测工单统计</h1>
      <p class="muted">按时办结率（1个工作日内办结率）= 期限内反馈的工单 ÷（已反馈 + 逾期未反馈）；未到期且未反馈的工单不计入。</p>
      <div class="actions">
        <Field label="统计周期">
          <Select name="period" options={[['month', '按月'], ['quarter', '按季度']]} value={period} onChange={(e) => go({ period: e.currentTarget.value })} />
        </Field>
        <Field label="年份">
          <input name="year" type="number" min={2000} max={2100} defaultValue={year} onChange={(e) => go({ year: e.currentTarget.value })} />
        </Field>
      </div>
      <p>
        全部：{stats.totals.total} 张，按时办结率 {fmtPct(stats.totals.on_time_rate)}，反馈用时中位数 {stats.totals.median_answer_hours ?? '—'} 小时
      </p>
      <Table headers={head('来源')} caption="按来源">
        {stats.by_source.map((r, i) => row(r, r.source, i))}
      </Table>
      <Table headers={head('单位')} caption="按单位">
        {stats.by_unit.map((r, i) => row(r, r.unit_name, i))}
      </Table>
      <SourcesEditor initial={sources.items} />
    </section>
  );
}
