// 通报: the list, and uploading a notice's table with a preview before anything is written.
import { api, append, attempt, el, field, flash, hashQuery, isAdmin, pager, qs, select, setHashQuery, table } from '../lib.js';

const KINDS = [['', '自动识别'], ['website', '政府网站'], ['column', '网站栏目'], ['newmedia', '政务新媒体']];

// What was found in a notice document (facts, each attachment's tables with their source text),
// with the facts and the column mapping editable: "按修改重新预览" previews again with them.
function noticeView(p, options, onRepreview) {
  const n = p.notice;
  const f = p.found || {};
  const input = (name, value, attrs = {}) => el('input', { name, value: value ?? '', ...attrs });
  const form = el(
    'form',
    {
      class: 'grid',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const next = { ...options };
        for (const [k, v] of new FormData(form).entries()) {
          if (k === 'map') next.map = String(v).split('\n').map((x) => x.trim()).filter(Boolean);
          else if (v === '') delete next[k];
          else next[k] = v;
        }
        await onRepreview(next);
      },
    },
    field(`文号（找到：${f.docNo || '无'}）`, input('doc_no', options.doc_no ?? n.doc_no ?? '')),
    field(`标题（找到：${f.title || '无'}）`, input('title', options.title ?? n.title ?? '')),
    field(`发文机关（找到：${f.issuer || '无'}）`, input('issuer', options.issuer ?? n.issuer ?? '')),
    field(`成文日期（找到：${f.issuedOn || '无'}）`, input('issued_on', options.issued_on ?? n.issued_on ?? '', { type: 'date' })),
    field(`报送截止（找到：${f.reportDueOn || '无'}）`, input('report_due_on', options.report_due_on ?? n.report_due_on ?? '', { type: 'date' })),
    field("列对应（每行一个 '表头=字段'，字段：name unit platform address problem jurisdiction due column extra ignore）", el('textarea', { name: 'map', rows: 2 }, (options.map || []).join('\n'))),
    el('button', { type: 'submit', class: 'secondary' }, '按修改重新预览'),
  );
  const tables = [...n.attachments.flatMap((a) => a.tables.map((t) => ({ ...t, attachment: `附件${a.number}${a.title ? `“${a.title}”` : ''}` }))), ...n.body_tables.map((t) => ({ ...t, attachment: '正文' }))];
  return el(
    'section',
    { class: 'card', 'aria-labelledby': 'found-title' },
    el('h2', { id: 'found-title' }, `在通报中找到（${n.format.toUpperCase()}${n.pages ? `，${n.pages} 页` : ''}）`),
    n.period ? el('p', { class: 'muted' }, `检查时段：${n.period.from} 至 ${n.period.to}`) : null,
    form,
    ...tables.map((t) =>
      el(
        'div',
        { class: 'two' },
        el(
          'div',
          {},
          el('h3', {}, `${t.attachment} · ${t.name}${t.caption ? `：${t.caption}` : ''}`),
          el('p', {}, t.skipped ? `未导入：${t.skipped}` : `导入 ${t.rows} 行（${t.kind === 'newmedia' ? '政务新媒体' : t.kind === 'column' ? '网站栏目' : '政府网站'}）`),
          el('p', { class: 'muted' }, `表头：${t.headers.join('、') || '无'}`),
        ),
        el('pre', { class: 'data', 'aria-label': `${t.name} 原文` }, t.source.join('\n')),
      ),
    ),
  );
}

function previewView(p, options, onDone, onRepreview) {
  const r = p.result;
  const box = el('section', { class: 'card', 'aria-labelledby': 'preview-title' });
  const summary = r
    ? el(
        'div',
        { class: 'stats' },
        [
          ['数据行', r.rows],
          ['将创建工单', r.work_orders],
          ['问题', r.problems],
          ['新对象', r.targets_new],
          ['新单位', r.units_new],
          ['本年重复被通报', r.repeat_targets],
          ['新升级事项', r.escalations],
        ].map(([k, v]) => el('div', { class: 'stat' }, el('span', { class: 'muted' }, k), el('b', {}, v))),
      )
    : null;
  const confirm = el(
    'button',
    {
      type: 'button',
      disabled: !p.can_confirm && !(p.duplicate && options.replace),
      onclick: async () => {
        confirm.disabled = true;
        const res = await attempt(() => api('POST', `/notices/uploads/${p.upload_id}/confirm`, options));
        confirm.disabled = false;
        if (res) {
          flash(`已导入通报 ${res.doc_no}：创建工单 ${res.work_orders} 张（${res.codes ? `${res.codes.first} 至 ${res.codes.last}` : '无'}）。`, 'ok', true);
          onDone(res);
        }
      },
    },
    '确认导入',
  );
  append(
    box,
    el('h2', { id: 'preview-title' }, `预览：${p.file_name}`),
    el('p', { class: 'muted' }, '以下是导入后将创建的内容，尚未写入任何数据。'),
    p.notice ? noticeView(p, options, onRepreview) : null,
    p.duplicate ? el('div', { class: 'msg err', role: 'alert' }, p.duplicate.message) : null,
    p.rejected.length ? el('div', { class: 'msg err', role: 'alert' }, `有 ${p.rejected.length} 行被拒绝，请修改文件后重新上传；整个文件不会导入。`) : null,
    summary,
    p.rejected.length
      ? table(
          ['行号', '工作表', '原因'],
          p.rejected.map((x) => el('tr', {}, el('td', { class: 'num' }, x.line), el('td', {}, x.sheet || '—'), el('td', {}, x.reason))),
          '被拒绝的行',
        )
      : null,
    el('div', { class: 'actions' }, confirm, el('button', { type: 'button', class: 'secondary', onclick: async () => { await attempt(() => api('DELETE', `/notices/uploads/${p.upload_id}`)); onDone(null); } }, '取消')),
    table(
      ['行号', '名称', '类型', '平台', '主办单位', '辖区', '存在问题'],
      p.items.map((i) =>
        el(
          'tr',
          {},
          el('td', { class: 'num' }, i.line ?? '—'),
          el('td', {}, i.name),
          el('td', {}, i.kind_label),
          el('td', {}, i.platform || '—'),
          el('td', {}, i.unit),
          el('td', {}, i.jurisdiction || '—'),
          el('td', {}, el('ul', {}, i.problems.map((x) => el('li', {}, `${x.text}（${x.category_label}）`)))),
        ),
      ),
      `将创建的工单（${p.items_total}）`,
    ),
  );
  return box;
}

function uploadForm(reload) {
  const slot = el('div');
  const form = el(
    'form',
    {
      class: 'grid',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const fd = new FormData(form);
        if (!fd.get('file') || !fd.get('file').size) {
          flash('请选择要上传的文件', 'err');
          return;
        }
        for (const [k, v] of [...fd.entries()]) if (v === '') fd.delete(k);
        const options = {};
        for (const [k, v] of fd.entries()) if (k !== 'file') options[k] = k === 'replace' ? true : v;
        const submit = form.querySelector('button[type=submit]');
        submit.disabled = true;
        const p = await attempt(() => api('POST', '/notices/uploads', fd));
        submit.disabled = false;
        if (!p) return;
        const done = (res) => {
          slot.replaceChildren();
          form.reset();
          if (res) reload(res);
        };
        const show = (preview, opts) => {
          const repreview = async (next) => {
            const again = await attempt(() => api('POST', `/notices/uploads/${preview.upload_id}/preview`, next));
            if (again) show(again, next);
          };
          slot.replaceChildren(previewView(preview, opts, done, repreview));
        };
        show(p, options);
        slot.querySelector('h2').scrollIntoView();
      },
    },
    field('通报文件（PDF / Word / 网页 / 文本）或附件表（CSV / XLSX / JSON）', el('input', { type: 'file', name: 'file', accept: '.pdf,.docx,.doc,.html,.htm,.txt,.md,.csv,.xlsx,.json', required: true })),
    field('文号', el('input', { name: 'doc_no', placeholder: '如 咸政网办〔2022〕5号' })),
    field('标题', el('input', { name: 'title' })),
    field('印发日期', el('input', { name: 'issued_on', type: 'date' })),
    field('报送整改情况截止日期', el('input', { name: 'report_due_on', type: 'date' })),
    field('对象类型', select('kind', KINDS, '')),
    field('来源（期限规则按来源匹配）', el('input', { name: 'source', placeholder: '如 quarterly' })),
    el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'replace', value: 'true' }), '替换已导入的同文号通报'),
    el('button', { type: 'submit' }, '上传并预览'),
  );
  return el('section', { class: 'card', 'aria-labelledby': 'upload-title' }, el('h2', { id: 'upload-title' }, '上传通报'), form, slot);
}

export async function noticesPage() {
  const q = hashQuery();
  const page = Number(q.get('page') || 1);
  const search = q.get('q') || '';
  const data = await api('GET', `/notices${qs({ page, page_size: 20, q: search })}`);
  const go = (p) => setHashQuery('/notices', { page: p, q: search });
  return el(
    'section',
    {},
    el('h1', {}, '通报'),
    isAdmin() ? uploadForm((res) => setHashQuery('/work-orders', { notice_id: res.notice_id })) : null,
    el(
      'form',
      { class: 'filters', onsubmit: (ev) => (ev.preventDefault(), setHashQuery('/notices', { q: new FormData(ev.target).get('q') })) },
      field('搜索文号或标题', el('input', { name: 'q', value: search, type: 'search' })),
      el('button', { type: 'submit' }, '搜索'),
    ),
    table(
      ['文号', '标题', '印发日期', '报送截止', { text: '工单', class: 'num' }, { text: '在办', class: 'num' }, { text: '逾期', class: 'num' }, '状态', '操作'],
      data.items.map((n) =>
        el(
          'tr',
          {},
          el('td', {}, n.doc_no),
          el('td', {}, n.title || '—'),
          el('td', {}, n.issued_on),
          el('td', {}, n.report_due_on || '—'),
          el('td', { class: 'num' }, n.work_orders),
          el('td', { class: 'num' }, n.open),
          el('td', { class: 'num' }, n.overdue),
          el('td', {}, n.status === 'active' ? '有效' : '已替换'),
          el(
            'td',
            {},
            el('div', { class: 'actions' },
              el('a', { href: `#/work-orders${qs({ notice_id: n.id })}` }, '查看工单'),
              el('a', { href: `/api/notices/${n.id}/export?format=xlsx`, download: '' , 'aria-label': `导出 ${n.doc_no} 整改情况 XLSX` }, '导出 XLSX'),
              el('a', { href: `/api/notices/${n.id}/export?format=csv`, download: '', 'aria-label': `导出 ${n.doc_no} 整改情况 CSV` }, '导出 CSV'),
            ),
          ),
        ),
      ),
      '通报列表',
    ),
    pager(page, 20, data.total, go),
  );
}
