// 期限规则: the rules, an edit form with a live "notified at … → due at …" preview, and what the
// current rules give a new order of each category notified now.
import { api, attempt, el, field, flash, isAdmin, qs, select, table } from '../lib.js';

const UNITS = [['working_days', '工作日'], ['calendar_days', '自然日']];


export async function rulesPage() {
  const data = await api('GET', '/deadline-rules?include_inactive=true');
  const cats = Object.entries(data.categories);
  const kinds = Object.entries(data.target_kinds);
  const page = el('section', {});
  // "Now" in business time, as the server sees it.
  const now = (await api('GET', '/deadlines/preview?amount=1&unit=working_days')).from.slice(0, 16);
  let editing = null;

  const preview = el('p', { class: 'preview-line', 'aria-live': 'polite' }, '—');
  const form = el('form', { class: 'grid', 'aria-labelledby': 'rule-form-title' });
  const title = el('h2', { id: 'rule-form-title' }, '新建规则');
  const fill = (r) => {
    editing = r;
    title.textContent = r ? `修改规则 #${r.id}` : '新建规则';
    form.elements.source.value = r?.source ?? '';
    form.elements.target_kind.value = r?.target_kind ?? '';
    form.elements.category.value = r?.category ?? '';
    form.elements.amount.value = r?.amount ?? 2;
    form.elements.unit.value = r?.unit ?? 'working_days';
    form.elements.cutoff.value = r?.cutoff ?? '';
    form.elements.note.value = r?.note ?? '';
    updatePreview();
  };
  let timer = null;
  const updatePreview = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const f = form.elements;
      if (!f.amount.value) return;
      try {
        const p = await api('GET', `/deadlines/preview${qs({ from: f.from.value, amount: f.amount.value, unit: f.unit.value, cutoff: f.cutoff.value })}`);
        preview.textContent = `通知于 ${p.from_label} → 截止于 ${p.due_label}`;
      } catch (e) {
        preview.textContent = e.message;
      }
    }, 150);
  };
  form.append(
    field('来源（空：任意）', el('input', { name: 'source', placeholder: '如 quarterly' })),
    field('对象类型', select('target_kind', [['', '任意'], ...kinds], '')),
    field('问题类别', select('category', [['', '任意'], ...cats], '')),
    field('期限', el('input', { name: 'amount', type: 'number', min: 1, max: 365, required: true, value: 2 })),
    field('单位', select('unit', UNITS, 'working_days')),
    field(`截止时刻（空：${data.defaults.cutoff}）`, el('input', { name: 'cutoff', type: 'time' })),
    field('备注', el('input', { name: 'note' })),
    field('预览：通知时间', el('input', { name: 'from', type: 'datetime-local', value: now })),
    el(
      'div',
      { class: 'actions' },
      el('button', { type: 'submit', disabled: !isAdmin() }, '保存规则'),
      el('button', { type: 'button', class: 'secondary', onclick: () => fill(null) }, '清空'),
    ),
  );
  form.addEventListener('input', updatePreview);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const body = {
      source: f.source.value.trim() || null,
      target_kind: f.target_kind.value || null,
      category: f.category.value || null,
      amount: Number(f.amount.value),
      unit: f.unit.value,
      cutoff: f.cutoff.value || null,
      note: f.note.value.trim() || null,
    };
    const saved = await attempt(() => (editing ? api('PUT', `/deadline-rules/${editing.id}`, body) : api('POST', '/deadline-rules', body)));
    if (saved) {
      flash(`已保存规则 #${saved.id}。新通知的工单将按新规则计算期限。`);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    }
  });

  const rows = data.items.map((r) =>
    el(
      'tr',
      {},
      el('td', { class: 'num' }, r.id),
      el('td', {}, r.source || '任意'),
      el('td', {}, r.target_kind_label || '任意'),
      el('td', {}, r.category_label || '任意'),
      el('td', {}, `${r.amount} 个${r.unit === 'working_days' ? '工作日' : '自然日'}`),
      el('td', {}, r.cutoff || data.defaults.cutoff),
      el('td', {}, r.active ? '启用' : '已停用'),
      el('td', {}, r.note || ''),
      el(
        'td',
        {},
        isAdmin() && r.active
          ? el(
              'div',
              { class: 'actions' },
              el('button', { type: 'button', class: 'secondary', onclick: () => (fill(r), form.scrollIntoView()), 'aria-label': `修改规则 ${r.id}` }, '修改'),
              el(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  'aria-label': `停用规则 ${r.id}`,
                  onclick: async () => {
                    if (!confirm(`停用规则 #${r.id}？`)) return;
                    if (await attempt(() => api('DELETE', `/deadline-rules/${r.id}`))) {
                      flash(`已停用规则 #${r.id}`);
                      window.dispatchEvent(new HashChangeEvent('hashchange'));
                    }
                  },
                },
                '停用',
              ),
            )
          : null,
      ),
    ),
  );

  // What a new order of each category gets now under the active rules.
  const effective = el('tbody', {});
  const results = await Promise.all(cats.map(([id]) => api('GET', `/deadlines/preview${qs({ category: id })}`).catch(() => null)));
  cats.forEach(([id, label], i) => {
    const p = results[i];
    const rule = p?.rule_id ? `规则 #${p.rule_id}` : p?.basis === 'default' ? `默认 ${data.defaults.working_days} 个工作日` : '—';
    effective.append(el('tr', { dataset: { category: id } }, el('td', {}, label), el('td', {}, rule), el('td', {}, p ? p.due_label : '—')));
  });

  page.append(
    el('h1', {}, '期限规则'),
    el('p', { class: 'muted' }, `优先级：工单上的截止日期 > 通报的报送截止日期 > 最具体的规则（问题类别 > 对象类型 > 来源）> 默认 ${data.defaults.working_days} 个工作日，${data.defaults.cutoff} 截止（${data.defaults.zone}）。`),
    table(['#', '来源', '对象类型', '问题类别', '期限', '截止时刻', '状态', '备注', '操作'], rows, '规则列表'),
    el('section', { class: 'card' }, title, form, preview),
    el('h2', {}, '现行规则下新工单的期限（若现在通知）'),
    el('div', { class: 'table-wrap' }, el('table', { id: 'effective' }, el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, '问题类别'), el('th', { scope: 'col' }, '依据'), el('th', { scope: 'col' }, '截止于'))), effective)),
  );
  fill(null);
  return page;
}
