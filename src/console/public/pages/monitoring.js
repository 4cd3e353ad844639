// 新建工单: one monitoring work order (内容监测工单), typed or filled from pasted platform text,
// with the deadline shown before saving; 监测工单统计: on-time rates per source and unit, and the
// sources admins keep.
import { api, attempt, el, field, flash, fmtPct, fmtTime, isAdmin, qs, select, table } from '../lib.js';

const BASIS = { stated: '平台注明', rule: '按期限规则', default: '默认：接收后 1 个工作日' };

/** "2026-11-27T15:32:00+08:00" → the value of a datetime-local input (business time as written). */
const localValue = (iso) => (iso ? iso.slice(0, 16) : '');

function readFile(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(new Error('无法读取截图文件'));
    r.readAsDataURL(file);
  });
}

export async function newOrderPage() {
  const sources = (await api('GET', '/monitoring/sources')).items;
  const page = el('section', {}, el('h1', {}, '新建监测工单'));
  if (!isAdmin()) {
    page.append(el('p', { class: 'muted' }, '只有管理员可以新建工单。'));
    return page;
  }

  // Pasted platform text → drafts; each fills the form.
  const pasteBox = el('textarea', { name: 'text', rows: 6, placeholder: '把平台上的工单消息粘贴到这里（可一次粘贴多条）' });
  const draftsBox = el('div', { 'aria-live': 'polite' });
  const pasteForm = el(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'paste-title',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const r = await attempt(() => api('POST', '/work-orders/parse', { text: pasteBox.value }));
        if (!r) return;
        draftsBox.replaceChildren(
          el('p', {}, `识别出 ${r.drafts.length} 条工单：`),
          el(
            'ol',
            {},
            r.drafts.map((d, i) =>
              el(
                'li',
                {},
                `${d.external_no || '（无编号）'} · ${d.target || '（未识别对象）'} · ${d.platform || '—'}${d.error ? `（${d.error}）` : ''} `,
                el('button', { type: 'button', class: 'secondary', onclick: () => fill(d), 'aria-label': `填入第 ${i + 1} 条` }, '填入表单'),
              ),
            ),
          ),
        );
        if (r.drafts.length) fill(r.drafts[0]);
      },
    },
    el('h2', { id: 'paste-title' }, '从平台消息识别'),
    field('平台消息', pasteBox),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, '识别')),
    draftsBox,
  );

  // The form.
  const targets = el('datalist', { id: 'known-targets' });
  const form = el('form', { class: 'grid', 'aria-labelledby': 'order-form-title' });
  const preview = el('p', { class: 'preview-line', 'aria-live': 'polite' }, '—');
  form.append(
    field('对象（账号或网站）', el('input', { name: 'target', required: true, list: 'known-targets', autocomplete: 'off' })),
    targets,
    field('主办单位（已登记对象可不填）', el('input', { name: 'unit' })),
    field('平台', el('input', { name: 'platform', placeholder: '如 微信公众号、新浪微博、抖音、网站' })),
    field('问题描述', el('textarea', { name: 'problem', rows: 3, required: true })),
    field('来源', select('source', sources.map((s) => [s.name, s.name]), sources[0]?.name)),
    field('平台工单编号', el('input', { name: 'external_no' })),
    field('平台工单链接', el('input', { name: 'external_url', type: 'url', placeholder: 'https://' })),
    field('接收时间', el('input', { name: 'received_at', type: 'datetime-local', required: true })),
    field('平台注明的办理时限（可不填）', el('input', { name: 'due_at', type: 'datetime-local' })),
    field('截图（可选）', el('input', { name: 'screenshot', type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp' })),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, '保存工单'), el('button', { type: 'button', class: 'secondary', onclick: () => fill(null) }, '清空')),
  );
  const now = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 16); // business time (UTC+8)

  const body = () => {
    const f = form.elements;
    const v = (name) => f[name].value.trim() || undefined;
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

  const fill = (d) => {
    const f = form.elements;
    f.target.value = d?.target ?? '';
    f.unit.value = d?.unit ?? '';
    f.platform.value = d?.platform ?? '';
    f.problem.value = d?.problem ?? '';
    if (d?.source) f.source.value = d.source;
    f.external_no.value = d?.external_no ?? '';
    f.external_url.value = d?.external_url ?? '';
    f.received_at.value = localValue(d?.received_at) || now;
    f.due_at.value = localValue(d?.due_at);
    update();
  };

  let timer = null;
  const update = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const b = body();
      if (!b.target || !b.problem) {
        preview.textContent = '填写对象和问题描述后显示办理时限。';
        return;
      }
      try {
        const p = await api('POST', '/work-orders/preview', b);
        const parts = [
          `办理时限：${fmtTime(p.due_at)}（${BASIS[p.due_basis]}）`,
          `问题分类：${p.problems.map((x) => x.label).join('、')}`,
          `对象：${p.target.known ? '已登记' : '新对象，保存时登记'}`,
          p.unit.name ? `单位：${p.unit.name}${p.unit.known ? '' : '（新单位，保存时登记）'}` : null,
          p.existing ? `⚠ 该平台工单已录入为 ${p.existing.code}，保存不会重复新建` : null,
          ...p.problems_to_fix.map((x) => `⚠ ${x}`),
        ];
        preview.textContent = parts.filter(Boolean).join('；');
      } catch (e) {
        preview.textContent = e.message;
      }
    }, 200);
  };

  // Autocomplete over known targets; picking one fills its unit and platform.
  let known = [];
  form.elements.target.addEventListener('input', async () => {
    const q = form.elements.target.value.trim();
    const hit = known.find((t) => t.name === q);
    if (hit) {
      if (!form.elements.unit.value && hit.unit) form.elements.unit.value = hit.unit.name;
      if (!form.elements.platform.value && hit.platform) form.elements.platform.value = hit.platform;
    }
    if (q.length < 1) return;
    const r = await api('GET', `/monitoring/targets${qs({ q })}`).catch(() => ({ items: [] }));
    known = r.items;
    targets.replaceChildren(...known.map((t) => el('option', { value: t.name }, `${t.platform || t.kind}${t.unit ? ` · ${t.unit.name}` : ''}`)));
  });
  form.addEventListener('input', update);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = body();
    const file = form.elements.screenshot.files[0];
    if (file) b.screenshot = { mime: file.type, data_base64: await readFile(file) };
    const r = await attempt(() => api('POST', '/work-orders', b));
    if (!r) return;
    flash(r.created ? `已新建工单 ${r.code}（${r.unit} · ${r.target}），办理时限 ${fmtTime(r.due_at)}。单位联系人将收到通知。` : `该平台工单已录入过（工单 ${r.code}），未重复新建。`, 'ok', true);
    location.hash = `#/work-orders/${r.id}`;
  });
  fill(null);

  page.append(pasteForm, el('h2', { id: 'order-form-title' }, '工单内容'), form, preview);
  return page;
}

export async function monitoringPage() {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const period = params.get('period') || 'month';
  const year = params.get('year') || String(new Date().getFullYear());
  const [stats, sources] = await Promise.all([
    api('GET', `/monitoring/stats${qs({ period, year })}`),
    api('GET', '/monitoring/sources?all=true'),
  ]);
  const go = (p) => (location.hash = `#/monitoring${qs({ period, year, ...p })}`);
  const head = [
    '周期',
    null,
    { text: '工单数', class: 'num' },
    { text: '已反馈', class: 'num' },
    { text: '期限内反馈', class: 'num' },
    { text: '逾期未反馈', class: 'num' },
    { text: '按时办结率', class: 'num' },
    { text: '反馈用时中位数（小时）', class: 'num' },
  ];
  const row = (r, name) =>
    el(
      'tr',
      {},
      el('td', {}, r.period),
      el('td', {}, name),
      el('td', { class: 'num' }, r.total),
      el('td', { class: 'num' }, r.answered),
      el('td', { class: 'num' }, r.on_time),
      el('td', { class: 'num' }, r.late_unanswered),
      el('td', { class: 'num' }, fmtPct(r.on_time_rate)),
      el('td', { class: 'num' }, r.median_answer_hours ?? '—'),
    );
  const page = el(
    'section',
    {},
    el('h1', {}, '监测工单统计'),
    el('p', { class: 'muted' }, '按时办结率（1个工作日内办结率）= 期限内反馈的工单 ÷（已反馈 + 逾期未反馈）；未到期且未反馈的工单不计入。'),
    el(
      'div',
      { class: 'actions' },
      field('统计周期', select('period', [['month', '按月'], ['quarter', '按季度']], period, { onchange: (e) => go({ period: e.target.value }) })),
      field('年份', el('input', { name: 'year', type: 'number', min: 2000, max: 2100, value: year, onchange: (e) => go({ year: e.target.value }) })),
    ),
    el('p', {}, `全部：${stats.totals.total} 张，按时办结率 ${fmtPct(stats.totals.on_time_rate)}，反馈用时中位数 ${stats.totals.median_answer_hours ?? '—'} 小时`),
    table(head.map((h) => h ?? '来源'), stats.by_source.map((r) => row(r, r.source)), '按来源'),
    table(head.map((h) => h ?? '单位'), stats.by_unit.map((r) => row(r, r.unit_name)), '按单位'),
  );

  // The sources list (admins): order, counts toward 通报 repeats, active.
  const list = sources.items.map((s) => ({ ...s }));
  const editor = el('tbody', {});
  const draw = () =>
    editor.replaceChildren(
      ...list.map((s, i) =>
        el(
          'tr',
          {},
          el('td', {}, el('input', { value: s.name, 'aria-label': `来源 ${i + 1} 名称`, disabled: !isAdmin(), oninput: (e) => (s.name = e.target.value) })),
          el('td', {}, el('input', { type: 'checkbox', checked: s.counts_repeats, 'aria-label': `${s.name} 计入通报次数`, disabled: !isAdmin(), onchange: (e) => (s.counts_repeats = e.target.checked) })),
          el('td', {}, el('input', { type: 'checkbox', checked: s.active, 'aria-label': `${s.name} 启用`, disabled: !isAdmin(), onchange: (e) => (s.active = e.target.checked) })),
        ),
      ),
    );
  draw();
  page.append(
    el('h2', {}, '来源设置'),
    el(
      'div',
      { class: 'table-wrap' },
      el('table', {}, el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, '来源'), el('th', { scope: 'col' }, '计入通报次数'), el('th', { scope: 'col' }, '启用'))), editor),
    ),
  );
  if (isAdmin()) {
    page.append(
      el(
        'div',
        { class: 'actions' },
        el('button', { type: 'button', class: 'secondary', onclick: () => (list.push({ name: '', counts_repeats: false, active: true }), draw()) }, '添加来源'),
        el(
          'button',
          {
            type: 'button',
            onclick: async () => {
              const items = list.filter((s) => s.name.trim()).map((s) => ({ name: s.name.trim(), counts_repeats: s.counts_repeats, active: s.active }));
              if (await attempt(() => api('PUT', '/monitoring/sources', { items }))) {
                flash('来源设置已保存。');
                window.dispatchEvent(new HashChangeEvent('hashchange'));
              }
            },
          },
          '保存来源设置',
        ),
      ),
    );
  }
  return page;
}
