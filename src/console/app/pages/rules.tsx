// 期限规则: the rules, an edit form with a live "notified at … → due at …" preview, and what the
// current rules give a new order of each category (and target type) notified now.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, isAdmin, qs } from '../api';
import { attempt, confirmFirst, Field, flash, Loading, reload, Select, Table, useLoad } from '../ui';

const UNITS = [['working_days', '工作日'], ['calendar_days', '自然日']] as const;

interface Rule {
  id: number;
  source: string | null;
  target_kind: string | null;
  target_kind_label: string | null;
  target_type_label?: string | null;
  category: string | null;
  category_label: string | null;
  amount: number;
  unit: string;
  cutoff: string | null;
  note: string | null;
  active: boolean;
}

interface Rules {
  items: Rule[];
  categories: Record<string, string>;
  target_kinds: Record<string, string>;
  defaults: { cutoff: string; working_days: number; zone: string };
}

interface Preview {
  from: string;
  from_label: string;
  due_label: string;
  rule_id: number | null;
  basis: string;
}

function RuleForm({ data, now, editing, onClear }: { data: Rules; now: string; editing: Rule | null; onClear: () => void }): JSX.Element {
  const form = useRef<HTMLFormElement>(null);
  const [preview, setPreview] = useState('—');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const el = (name: string) => form.current?.elements.namedItem(name) as HTMLInputElement | null;
  const update = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const v = (n: string) => el(n)?.value ?? '';
      if (!v('amount')) return;
      api<Preview>('GET', `/deadlines/preview${qs({ from: v('from'), amount: v('amount'), unit: v('unit'), cutoff: v('cutoff') })}`).then(
        (p) => setPreview(`通知于 ${p.from_label} → 截止于 ${p.due_label}`),
        (e: unknown) => setPreview(e instanceof Error ? e.message : String(e)),
      );
    }, 150);
  };
  useEffect(() => {
    const set = (n: string, v: string) => {
      const i = el(n);
      if (i) i.value = v;
    };
    set('source', editing?.source ?? '');
    set('target_kind', editing?.target_kind ?? '');
    set('category', editing?.category ?? '');
    set('amount', String(editing?.amount ?? 2));
    set('unit', editing?.unit ?? 'working_days');
    set('cutoff', editing?.cutoff ?? '');
    set('note', editing?.note ?? '');
    update();
  }, [editing]);
  return (
    <section class="card" id="rule-form">
      <h2 id="rule-form-title">{editing ? `修改规则 #${editing.id}` : '新建规则'}</h2>
      <form
        ref={form}
        class="grid"
        aria-labelledby="rule-form-title"
        onInput={update}
        onSubmit={async (ev) => {
          ev.preventDefault();
          const v = (n: string) => (el(n)?.value ?? '').trim();
          const body = {
            source: v('source') || null,
            target_kind: v('target_kind') || null,
            category: v('category') || null,
            amount: Number(v('amount')),
            unit: v('unit'),
            cutoff: v('cutoff') || null,
            note: v('note') || null,
          };
          const saved = await attempt(() => (editing ? api<Rule>('PUT', `/deadline-rules/${editing.id}`, body) : api<Rule>('POST', '/deadline-rules', body)));
          if (saved) {
            flash(`已保存规则 #${saved.id}。新通知的工单将按新规则计算期限。`, 'ok', true);
            reload();
          }
        }}
      >
        <Field label="来源（空：任意）">
          <input name="source" placeholder="如 quarterly" />
        </Field>
        <Field label="对象类型">
          <Select name="target_kind" options={[['', '任意'], ...Object.entries(data.target_kinds)]} value="" />
        </Field>
        <Field label="问题类别">
          <Select name="category" options={[['', '任意'], ...Object.entries(data.categories)]} value="" />
        </Field>
        <Field label="期限">
          <input name="amount" type="number" min={1} max={365} required defaultValue="2" />
        </Field>
        <Field label="单位">
          <Select name="unit" options={UNITS} value="working_days" />
        </Field>
        <Field label={`截止时刻（空：${data.defaults.cutoff}）`}>
          <input name="cutoff" type="time" />
        </Field>
        <Field label="备注">
          <input name="note" />
        </Field>
        <Field label="预览：通知时间">
          <input name="from" type="datetime-local" defaultValue={now} />
        </Field>
        <div class="actions">
          <button type="submit" disabled={!isAdmin()}>
            保存规则
          </button>
          <button type="button" class="secondary" onClick={onClear}>
            清空
          </button>
        </div>
      </form>
      <p class="preview-line" aria-live="polite">
        {preview}
      </p>
    </section>
  );
}

export function RulesPage(): JSX.Element {
  const data = useLoad(async () => {
    const rules = await api<Rules>('GET', '/deadline-rules?include_inactive=true');
    // "Now" in business time, as the server sees it.
    const now = (await api<Preview>('GET', '/deadlines/preview?amount=1&unit=working_days')).from.slice(0, 16);
    // What a new order of each category, and each target type, gets now under the active rules.
    const kinds: [string, string][] = [['', '任意'], ...Object.entries(rules.target_kinds)];
    const cats = Object.entries(rules.categories);
    const effective = await Promise.all(
      kinds.flatMap(([kind, kindLabel]) =>
        cats.map(async ([id, label]) => ({
          kind,
          kindLabel,
          id,
          label,
          p: await api<Preview>('GET', `/deadlines/preview${qs({ category: id, target_kind: kind })}`).catch(() => null),
        })),
      ),
    );
    return { rules, now, effective };
  });
  const [editing, setEditing] = useState<Rule | null>(null);
  const [kind, setKind] = useState('');
  if (!data) return <Loading data={data} />;
  const { rules, now, effective } = data;
  return (
    <section>
      <h1>期限规则</h1>
      <p class="muted">
        优先级：工单上的截止日期 &gt; 通报的报送截止日期 &gt; 最具体的规则（问题类别 &gt; 对象类型 &gt; 来源）&gt; 默认 {rules.defaults.working_days} 个工作日，{rules.defaults.cutoff} 截止（北京时间）。
      </p>
      <Table headers={['#', '来源', '对象类型', '问题类别', '期限', '截止时刻', '状态', '备注', '操作']} caption="规则列表">
        {rules.items.map((r) => (
          <tr key={r.id}>
            <td class="num">{r.id}</td>
            <td>{r.source || '任意'}</td>
            <td>{r.target_type_label || r.target_kind_label || '任意'}</td>
            <td>{r.category_label || '任意'}</td>
            <td>
              {r.amount} 个{r.unit === 'working_days' ? '工作日' : '自然日'}
            </td>
            <td>{r.cutoff || rules.defaults.cutoff}</td>
            <td>{r.active ? '启用' : '已停用'}</td>
            <td>{r.note || ''}</td>
            <td>
              {isAdmin() && r.active ? (
                <div class="actions">
                  <button
                    type="button"
                    class="secondary"
                    aria-label={`修改规则 ${r.id}`}
                    onClick={() => {
                      setEditing(r);
                      document.getElementById('rule-form')?.scrollIntoView();
                    }}
                  >
                    修改
                  </button>
                  <button
                    type="button"
                    class="danger"
                    aria-label={`停用规则 ${r.id}`}
                    onClick={async () => {
                      if (!(await confirmFirst(`停用规则 #${r.id}？停用后新工单不再按此规则计算期限。`, { confirmText: '停用' }))) return;
                      if (await attempt(() => api('DELETE', `/deadline-rules/${r.id}`))) {
                        flash(`已停用规则 #${r.id}`, 'ok', true);
                        reload();
                      }
                    }}
                  >
                    停用
                  </button>
                </div>
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
      <RuleForm data={rules} now={now} editing={editing} onClear={() => setEditing(null)} />
      <h2>现行规则下新工单的期限（若现在通知）</h2>
      <Field label="对象类型" class="inline-field">
        <Select options={[['', '任意'], ...Object.entries(rules.target_kinds)]} value={kind} onChange={(ev) => setKind(ev.currentTarget.value)} />
      </Field>
      <div class="table-wrap">
        <table id="effective">
          <thead>
            <tr>
              <th scope="col">问题类别</th>
              <th scope="col">依据</th>
              <th scope="col">截止于</th>
            </tr>
          </thead>
          <tbody>
            {effective
              .filter((e) => e.kind === kind)
              .map(({ id, label, p }) => (
                <tr key={id} data-category={id}>
                  <td>{label}</td>
                  <td>{p?.rule_id ? `规则 #${p.rule_id}` : p?.basis === 'default' ? `默认 ${rules.defaults.working_days} 个工作日` : '—'}</td>
                  <td>{p ? p.due_label : '—'}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
