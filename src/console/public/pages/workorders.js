// 工单: the filtered table and one order's page (problems, replies, evidence, timeline).
import { api, attempt, canReview, el, field, isAdmin, flash, fmtDue, fmtTime, hashQuery, pager, qs, select, setHashQuery, table } from '../lib.js';

const STATES = [['', '全部'], ['new', '待通知'], ['notified', '待整改'], ['replied', '待审核'], ['rejected', '已退回'], ['accepted', '已办结'], ['superseded', '已作废']];
const KINDS = [['', '全部'], ['website', '政府网站'], ['column', '网站栏目'], ['newmedia', '政务新媒体']];
const FILTERS = ['notice_id', 'unit_id', 'state', 'overdue', 'kind', 'category', 'jurisdiction', 'q', 'source', 'external_no'];

export function statePill(o) {
  return el('span', {}, el('span', { class: `pill ${o.state}` }, o.state_label), o.overdue ? el('span', { class: 'pill overdue' }, '逾期') : null);
}

export async function workOrdersPage() {
  const q = hashQuery();
  const filters = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) || '']));
  const page = Number(q.get('page') || 1);
  const [data, notices, units, rules] = await Promise.all([
    api('GET', `/work-orders${qs({ ...filters, page, page_size: 50 })}`),
    api('GET', '/notices?page_size=200'),
    api('GET', '/units?page_size=500'),
    api('GET', '/deadline-rules'),
  ]);
  const categories = Object.entries(rules.categories);
  const form = el(
    'form',
    {
      class: 'filters card',
      onsubmit: (ev) => {
        ev.preventDefault();
        const fd = new FormData(form);
        setHashQuery('/work-orders', Object.fromEntries(FILTERS.map((k) => [k, fd.get(k)])));
      },
    },
    field('通报', select('notice_id', [['', '全部'], ...notices.items.map((n) => [n.id, n.doc_no])], filters.notice_id)),
    field('单位', select('unit_id', [['', '全部'], ...units.items.map((u) => [u.id, u.name])], filters.unit_id)),
    field('状态', select('state', STATES, filters.state)),
    field('逾期', select('overdue', [['', '全部'], ['true', '仅逾期'], ['false', '未逾期']], filters.overdue)),
    field('对象类型', select('kind', KINDS, filters.kind)),
    field('问题类别', select('category', [['', '全部'], ...categories], filters.category)),
    field('辖区', el('input', { name: 'jurisdiction', value: filters.jurisdiction })),
    field('搜索编号、名称或单位', el('input', { name: 'q', type: 'search', value: filters.q })),
    field('监测工单来源', el('input', { name: 'source', value: filters.source })), field('平台工单编号', el('input', { name: 'external_no', value: filters.external_no })),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, '筛选'), el('a', { href: '#/work-orders' }, '清除')),
  );
  const exportQs = (format) => `/api/work-orders/export${qs({ ...filters, format })}`;
  return el(
    'section',
    {},
    el('h1', {}, '工单'),
    form,
    el(
      'div',
      { class: 'actions' },
      el('span', { class: 'muted' }, `共 ${data.total} 张`),
      el('a', { href: exportQs('xlsx'), download: '' }, '导出 XLSX'),
      el('a', { href: exportQs('csv'), download: '' }, '导出 CSV'),
    ),
    table(
      ['编号', '通报', '名称', '类型', '主办单位', '辖区', '问题类别', '状态', '截止时间'],
      data.items.map((o) =>
        el(
          'tr',
          {},
          el('td', {}, el('a', { href: `#/work-orders/${o.id}` }, o.code)),
          el('td', {}, o.notice.doc_no),
          el('td', {}, o.target.name, o.target.platform ? el('div', { class: 'muted' }, o.target.platform) : null),
          el('td', {}, o.target.kind_label),
          el('td', {}, o.unit.name || '—'),
          el('td', {}, o.unit.jurisdiction || '—'),
          el('td', {}, o.categories.map((c) => c.label).join('、')),
          el('td', {}, statePill(o)),
          el(
            'td',
            {},
            o.due_at ? fmtDue(o.due_at, o.provisional) : o.expected_due_at ? el('span', { title: '按现行规则，若现在通知' }, `预计 ${fmtDue(o.expected_due_at, o.provisional)}`) : '—',
          ),
        ),
      ),
      '工单列表',
    ),
    pager(page, 50, data.total, (p) => setHashQuery('/work-orders', { ...filters, page: p })),
  );
}

function reviewForm(reply, reload) {
  const form = el(
    'form',
    {
      class: 'actions',
      onsubmit: (ev) => ev.preventDefault(),
    },
    field('审核意见', el('input', { name: 'comment', size: 40 })),
  );
  const send = (decision) => async () => {
    const comment = new FormData(form).get('comment');
    const res = await attempt(() => api('POST', `/replies/${reply.id}/review`, { decision, comment: comment || undefined }));
    if (res) {
      flash(decision === 'accept' ? '已审核通过，工单办结。' : '已退回，工单待重新整改。');
      reload();
    }
  };
  form.append(
    el('button', { type: 'button', onclick: send('accept') }, '通过'),
    el('button', { type: 'button', class: 'danger', onclick: send('reject') }, '退回'),
  );
  return form;
}

const EVENT_LABELS = {
  'work_order.rechecked': '自动复查',
  'work_order.relapsed': '复查发现整改反弹',
  'target.address_set': '设置复查网址',
  'work_order.created': '工单创建',
  'work_order.notify': '已通知',
  'work_order.reply': '收到整改反馈',
  'work_order.accept': '审核通过',
  'work_order.reject': '退回',
  'work_order.supersede': '作废',
  'work_order.overdue': '逾期',
  'work_order.evidence_added': '收到整改截图',
  'work_order.due_changed': '期限调整',
  'work_order.extension_requested': '申请延期',
  'work_order.extension_refused': '延期未获同意',
  'work_order.disputed': '提出异议',
  'work_order.dispute_refused': '异议不成立',
  'escalation.created': '升级事项',
  'escalation.updated': '升级事项更新',
  'message.out.sent': '消息已发送',
  'message.out.failed': '消息发送失败',
  'message.out.dead': '消息发送失败（已放弃）',
  'message.in.received': '收到消息',
  'message.in.handled': '消息已处理',
  'work_order.reminded': '到期提醒',
  'work_order.escalated': '逾期升级',
  'work_order.escalation_skipped': '逾期升级（无可通知人员，已跳过）',
};

const ROLE_TEXT = { primary: '主联系人', backup: 'AB角', leader: '分管领导', supervisor: '主管单位' };

/** What an outgoing message was for (the outbox's purpose). */
const PURPOSE_LABELS = {
  work_order_notice: '整改通知',
  notice_summary: '通报汇总',
  reply: '回复',
  card_update: '更新卡片',
  due_corrected: '期限更正',
  review_card: '审核卡片',
  review_result: '审核结果',
  review_update: '审核提醒',
  admin_notice: '管理员提醒',
  reminder: '到期提醒',
  ladder: '逾期升级',
  digest: '督办日报',
  repeat_offender: '重复通报',
};

/** One line under a timeline entry: its text, or for a message whom it went to and why. */
function eventDetail(e) {
  const d = e.data || {};
  if (d.text || d.comment) return d.text || d.comment;
  if (e.type.startsWith('message.out.') && d.touser) {
    const what = PURPOSE_LABELS[d.purpose] || d.purpose || '';
    return `发给 ${d.touser}${what ? `（${what}）` : ''}${d.errcode ? `，错误码 ${d.errcode}` : ''}`;
  }
  if (e.type === 'work_order.evidence_added' && Array.isArray(d.media)) return `${d.media.length} 张截图`;
  if (e.type === 'work_order.escalated' || e.type === 'work_order.escalation_skipped') {
    return `第 ${d.step} 级：${d.role_label || ROLE_TEXT[d.role] || d.role}${d.to && d.to.length ? `（${d.to.join('、')}）` : ''}，已逾期 ${d.working_days_overdue} 个工作日${d.reason ? `；${d.reason}` : ''}`;
  }
  if (e.type === 'work_order.reminded') return `${d.kind === 'before' ? '截止前提醒' : '到期当天提醒'}${d.to && d.to.length ? `：${d.to.join('、')}` : ''}`;
  return null;
}

const RESULT_CLASS = { passed: 'accepted', failed: 'rejected', unknown: 'replied' };
const REASON_TEXT = { submit: '提交整改时', manual: '手动', weekly: '每周' };

/** The automatic re-checks of the order: the address, a button to re-check now, each run's checks. */
function recheckPanel(o, r, reload) {
  if (r.target_kind === 'newmedia') return null;
  const addressForm = isAdmin()
    ? el(
        'form',
        {
          class: 'actions',
          onsubmit: async (ev) => {
            ev.preventDefault();
            const url = new FormData(ev.target).get('url');
            if (await attempt(() => api('PUT', `/work-orders/${o.id}/address`, { url }))) {
              flash('复查网址已保存。');
              reload();
            }
          },
        },
        field('复查网址', el('input', { name: 'url', size: 50, value: r.address || '', placeholder: 'https://www.example.gov.cn/' })),
        el('button', { type: 'submit', class: 'secondary' }, '保存网址'),
      )
    : el('p', {}, `复查网址：${r.address || '未登记'}`);
  const now = canReview() && r.address
    ? el(
        'button',
        {
          type: 'button',
          onclick: async (ev) => {
            ev.target.disabled = true;
            ev.target.textContent = '复查中…';
            const run = await attempt(() => api('POST', `/work-orders/${o.id}/recheck`));
            if (run) flash(`复查完成：${run.verdict_label}`);
            reload();
          },
        },
        '立即复查',
      )
    : null;
  return el(
    'div',
    { class: 'card' },
    addressForm,
    now,
    r.runs.length
      ? r.runs.map((run) =>
          el(
            'div',
            { class: 'recheck-run' },
            el(
              'p',
              {},
              el('b', {}, `${fmtTime(run.started_at)} · ${REASON_TEXT[run.reason] || run.reason}复查 · `),
              el('span', { class: `pill ${RESULT_CLASS[run.verdict] || ''}` }, run.verdict_label || (run.state === 'running' ? '进行中' : '—')),
              run.url ? el('span', { class: 'muted' }, ` ${run.url}`) : null,
            ),
            run.error ? el('p', { class: 'muted' }, `出错：${run.error}`) : null,
            run.checks.length
              ? table(
                  ['检查项', '结果', '说明', '时间'],
                  run.checks.map((c) => [c.label, el('span', { class: `pill ${RESULT_CLASS[c.result]}` }, c.result_label), c.detail, fmtTime(c.checked_at)]),
                )
              : null,
            el(
              'p',
              { class: 'muted' },
              run.html ? el('a', { href: run.html.url, target: '_blank', rel: 'noopener' }, `网页存档（${Math.round(run.html.size / 1024)} KB）`) : null,
              run.screenshot_note ? ` ${run.screenshot_note}` : null,
            ),
            run.screenshot ? el('a', { href: run.screenshot, target: '_blank', rel: 'noopener' }, el('img', { class: 'shot', src: run.screenshot, alt: `复查截图 ${run.id}` })) : null,
          ),
        )
      : el('p', { class: 'muted' }, '尚未复查。'),
  );
}

export async function workOrderPage(id) {
  const o = await api('GET', `/work-orders/${id}`);
  const rechecks = await api('GET', `/work-orders/${id}/rechecks`).catch(() => null);
  const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  return el(
    'section',
    {},
    el('p', {}, el('a', { href: `#/work-orders${qs({ notice_id: o.notice.id })}` }, `← ${o.notice.doc_no} 的工单`)),
    el('h1', {}, `工单 ${o.code}：${o.target.name}`),
    el(
      'div',
      { class: 'card two' },
      el(
        'dl',
        {},
        ...[
          ['状态', statePill(o)],
          ['对象', `${o.target.kind_label}${o.target.platform ? ` · ${o.target.platform}` : ''}${o.target.address ? ` · ${o.target.address}` : ''}`],
          ['主办单位', `${o.unit.name || '—'}${o.unit.jurisdiction ? `（${o.unit.jurisdiction}）` : ''}`],
          ['通报', `${o.notice.doc_no}${o.notice.title ? ` ${o.notice.title}` : ''}，${o.notice.issued_on} 印发`],
        ].flatMap(([k, v]) => [el('dt', { class: 'muted' }, k), el('dd', {}, v)]),
      ),
      el(
        'dl',
        {},
        ...[
          ['通知时间', fmtTime(o.notified_at)],
          ['截止时间', o.due_at ? fmtDue(o.due_at, o.provisional) : o.expected_due_at ? `预计 ${fmtDue(o.expected_due_at, o.provisional)}（若现在通知）` : '—'],
          ['反馈时间', `${fmtTime(o.replied_at)}${o.replied_late ? '（逾期反馈）' : ''}`],
          ['办结时间', fmtTime(o.closed_at)],
          ...(o.source ? [['监测工单', el('span', {}, `${o.source} · 接收于 ${fmtTime(o.received_at)} · `, o.external_url ? el('a', { href: o.external_url, target: '_blank', rel: 'noopener noreferrer' }, o.external_no || '平台链接') : o.external_no || '无平台编号')]] : []),
        ].flatMap(([k, v]) => [el('dt', { class: 'muted' }, k), el('dd', {}, v)]),
      ),
    ),
    el('h2', {}, '存在问题'),
    el('ol', {}, o.problem_list.map((p) => el('li', {}, p.text, ' ', el('span', { class: 'pill' }, p.category_label)))),
    el('h2', {}, '整改反馈'),
    o.replies.length
      ? o.replies.map((r) =>
          el(
            'div',
            { class: 'card' },
            el('p', {}, el('b', {}, r.contact?.name || r.contact?.userid || '单位联系人'), ` · ${fmtTime(r.created_at)}${r.late ? ' · 逾期' : ''} · `, el('span', { class: `pill ${r.review_state}` }, { pending: '待审核', accepted: '已通过', rejected: '已退回' }[r.review_state] || r.review_state)),
            el('p', {}, r.text || '（无文字）'),
            r.review_comment ? el('p', { class: 'muted' }, `审核意见：${r.review_comment}（${r.reviewed_by || ''}）`) : null,
            el(
              'div',
              { class: 'evidence' },
              o.evidence.filter((e) => e.reply_id === r.id && e.url).map((e) => el('a', { href: e.url, target: '_blank', rel: 'noopener' }, el('img', { src: e.url, alt: `整改证据截图 ${e.id}` }))),
            ),
            r.review_state === 'pending' && o.state === 'replied' && canReview() ? reviewForm(r, reload) : null,
          ),
        )
      : el('p', { class: 'muted' }, '尚无反馈。'),
    o.evidence.some((e) => e.reply_id === null && e.url)
      ? el('div', { class: 'evidence' }, el('h3', {}, '其他证据'), o.evidence.filter((e) => e.reply_id === null && e.url).map((e) => el('img', { src: e.url, alt: `证据截图 ${e.id}` })))
      : null,
    rechecks && rechecks.target_kind !== 'newmedia' ? el('h2', {}, '自动复查') : null,
    rechecks ? recheckPanel(o, rechecks, reload) : null,
    el('h2', {}, '时间线'),
    el(
      'ol',
      { class: 'timeline' },
      o.events.map((e) =>
        el(
          'li',
          {},
          el('b', {}, EVENT_LABELS[e.type] || e.type),
          el('span', { class: 'muted' }, ` · ${fmtTime(e.at)} · ${e.actor}`),
          eventDetail(e) ? el('div', {}, eventDetail(e)) : null,
        ),
      ),
    ),
  );
}
