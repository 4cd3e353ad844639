// 工单详情: facts, problems, replies with their evidence (and review), actions on the order
// (催办, deadline, reassign, note, withdraw; shown as the server allows), automatic re-checks,
// and the timeline told as a story.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, canReview, isAdmin, isContact, qs } from '../api';
import type { ContactItem, OrderAction, OrderDetail, OrderEvent, Page, Rechecks, Reply, TimelineEntry, UnitItem } from '../types';
import { attempt, confirmFirst, Dialog, Field, flash, fmtTime, Loading, plainText, reload, Select, Table, todayIso, useLoad } from '../ui';
import { dueText, ReplyForm, StatePill } from './common';

const REVIEW_TEXT: Record<string, string> = { pending: '待审核', accepted: '已通过', rejected: '已退回' };

function ReviewForm({ reply }: { reply: Reply }): JSX.Element {
  const [comment, setComment] = useState('');
  const send = (decision: 'accept' | 'reject') => async () => {
    if (decision === 'reject' && !(await confirmFirst('退回后单位需要重新整改并再次反馈。确定退回？', { title: '退回整改反馈', confirmText: '退回' }))) return;
    const res = await attempt(() => api('POST', `/replies/${reply.id}/review`, { decision, comment: comment || undefined }));
    if (res) {
      flash(decision === 'accept' ? '已审核通过，工单办结。' : '已退回，工单待重新整改。', 'ok', true);
      reload();
    }
  };
  return (
    <form class="actions" onSubmit={(ev) => ev.preventDefault()}>
      <Field label="审核意见">
        <input name="comment" size={40} value={comment} onInput={(ev) => setComment(ev.currentTarget.value)} />
      </Field>
      <button type="button" onClick={send('accept')}>
        通过
      </button>
      <button type="button" class="danger" onClick={send('reject')}>
        退回
      </button>
    </form>
  );
}

// ----------------------------------------------------------------------------------- actions

type Open = 'remind' | 'due' | 'withdraw' | 'reassign' | 'note' | null;

function ReassignFields(): JSX.Element {
  const lists = useLoad(() => Promise.all([api<Page<UnitItem>>('GET', '/units?page_size=500'), api<Page<ContactItem>>('GET', '/contacts?page_size=500&active=true')]));
  if (!lists) return <Loading data={lists} />;
  const [units, contacts] = lists;
  return (
    <>
      <Field label="改派给单位">
        <Select name="unit_id" options={[['', '（不改单位）'], ...units.items.map((u) => [u.id, u.name] as const)]} value="" />
      </Field>
      <Field label="或指定联系人">
        <Select
          name="contact_id"
          options={[['', '（单位的主联系人）'], ...contacts.items.filter((c) => c.unit_id).map((c) => [c.id, `${c.name || c.wecom_userid}（${c.unit_name || c.role_label}）`] as const)]}
          value=""
        />
      </Field>
    </>
  );
}

function OrderActions({ o, allowed }: { o: OrderDetail; allowed: OrderAction[] }): JSX.Element | null {
  const [open, setOpen] = useState<Open>(null);
  const can = (a: OrderAction) => allowed.includes(a);
  if (!['remind', 'due', 'withdraw', 'reassign', 'note'].some((a) => can(a as OrderAction))) return null;
  const post = async (path: string, body: unknown, done: string) => {
    const r = await attempt(() => api('POST', `/work-orders/${o.id}/${path}`, body));
    if (r) {
      flash(done, 'ok', true);
      reload();
    }
    return Boolean(r);
  };
  const close = () => setOpen(null);
  return (
    <div class="order-actions actions" role="group" aria-label="工单操作">
      {can('remind') ? (
        <button type="button" onClick={() => setOpen('remind')}>
          催办
        </button>
      ) : null}
      {can('due') ? (
        <button type="button" class="secondary" onClick={() => setOpen('due')}>
          修改期限
        </button>
      ) : null}
      {can('reassign') ? (
        <button type="button" class="secondary" onClick={() => setOpen('reassign')}>
          改派
        </button>
      ) : null}
      {can('note') ? (
        <button type="button" class="secondary" onClick={() => setOpen('note')}>
          添加备注
        </button>
      ) : null}
      {can('withdraw') ? (
        <button type="button" class="danger" onClick={() => setOpen('withdraw')}>
          撤销工单
        </button>
      ) : null}
      {open === 'remind' ? (
        <Dialog title={`催办工单 ${o.code}`} submitText="发送催办" onClose={close} onSubmit={(v) => post('remind', { note: v.note || undefined }, `已催办工单 ${o.code}，单位联系人将收到提醒。`)}>
          <p class="muted">将立即向 {o.unit.name || '该单位'} 的联系人发送催办消息。</p>
          <Field label="催办附言（可不填）">
            <textarea name="note" rows={3} />
          </Field>
        </Dialog>
      ) : null}
      {open === 'due' ? (
        <Dialog title={`修改工单 ${o.code} 的期限`} submitText="修改期限" onClose={close} onSubmit={(v) => post('due', { due: v.due, reason: v.reason }, `已将工单 ${o.code} 的期限改为 ${v.due}，并告知单位。`)}>
          <p class="muted">现在的期限：{dueText(o)}</p>
          <Field label="新的截止日期">
            <input name="due" type="date" required min={todayIso()} />
          </Field>
          <Field label="原因（将告知单位）">
            <input name="reason" required />
          </Field>
        </Dialog>
      ) : null}
      {open === 'reassign' ? (
        <Dialog
          title={`改派工单 ${o.code}`}
          submitText="改派"
          onClose={close}
          onSubmit={(v) => {
            if (!v.unit_id && !v.contact_id) {
              flash('请选择改派的单位或联系人', 'err');
              return false;
            }
            return post('reassign', { unit_id: v.unit_id ? Number(v.unit_id) : undefined, contact_id: v.contact_id ? Number(v.contact_id) : undefined, reason: v.reason }, `已改派工单 ${o.code}，相关单位将收到通知。`);
          }}
        >
          <ReassignFields />
          <Field label="原因">
            <input name="reason" required />
          </Field>
        </Dialog>
      ) : null}
      {open === 'note' ? (
        <Dialog title={`给工单 ${o.code} 添加备注`} submitText="添加备注" onClose={close} onSubmit={(v) => post('notes', { text: v.text }, '已添加备注。')}>
          <Field label="备注（记入时间线，不发给单位）">
            <textarea name="text" rows={4} required />
          </Field>
        </Dialog>
      ) : null}
      {open === 'withdraw' ? (
        <Dialog
          title={`撤销工单 ${o.code}`}
          submitText="确认撤销"
          danger
          onClose={close}
          onSubmit={(v) => post('withdraw', { reason: v.reason }, `已撤销工单 ${o.code}，并告知单位。`)}
        >
          <p class="msg err">撤销后工单不再跟进、不计入统计，单位会收到撤销通知。此操作不能恢复。</p>
          <Field label="撤销原因（将告知单位）">
            <input name="reason" required />
          </Field>
        </Dialog>
      ) : null}
    </div>
  );
}

// ---------------------------------------------------------------------------------- timeline

/** Labels for the events of an order, used when the server does not label them itself. */
const EVENT_LABELS: Record<string, string> = {
  'work_order.rechecked': '自动复查',
  'work_order.relapsed': '复查发现整改反弹',
  'target.address_set': '设置复查网址',
  'work_order.created': '工单创建',
  'work_order.notify': '已通知',
  'work_order.reply': '收到整改反馈',
  'work_order.accept': '审核通过',
  'work_order.reject': '退回',
  'work_order.supersede': '作废',
  'work_order.withdrawn': '撤销',
  'work_order.overdue': '逾期',
  'work_order.evidence_added': '收到整改截图',
  'work_order.due_changed': '期限调整',
  'work_order.extension_requested': '申请延期',
  'work_order.extension_refused': '延期未获同意',
  'work_order.disputed': '提出异议',
  'work_order.dispute_refused': '异议不成立',
  'work_order.nudged': '催办',
  'work_order.reassigned': '改派',
  'work_order.note': '备注',
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

const ROLE_TEXT: Record<string, string> = { primary: '主联系人', backup: 'AB角', leader: '分管领导', supervisor: '主管单位' };

/** What an outgoing message was for (the outbox's purpose). */
const PURPOSE_LABELS: Record<string, string> = {
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

const DELIVERY_STATE: Record<string, string> = { sent: '已发送', pending: '待发送', queued: '待发送', failed: '发送失败，将重试', dead: '发送失败（已放弃）', held: '免打扰时段，稍后发送' };

/** One line under an event (the fallback timeline): its text, or for a message whom it went to and why. */
function eventDetail(e: OrderEvent): string | null {
  const d = e.data || {};
  if (d.text || d.comment) return plainText(d.text || d.comment);
  if (e.type.startsWith('message.out.') && d.touser) {
    const purpose = d.purpose ? plainText(d.purpose) : '';
    const what = PURPOSE_LABELS[purpose] || purpose;
    return `发给 ${plainText(d.touser)}${what ? `（${what}）` : ''}${d.errcode ? `，错误码 ${plainText(d.errcode)}` : ''}`;
  }
  if (e.type === 'work_order.evidence_added' && Array.isArray(d.media)) return `${d.media.length} 张截图`;
  const to = Array.isArray(d.to) ? d.to.map((x: unknown) => (x === null || x === undefined ? '' : plainText(x))) : [];
  if (e.type === 'work_order.escalated' || e.type === 'work_order.escalation_skipped') {
    const role = d.role_label ? plainText(d.role_label) : ROLE_TEXT[plainText(d.role)] || plainText(d.role);
    return `第 ${plainText(d.step)} 级：${role}${to.length ? `（${to.join('、')}）` : ''}，已逾期 ${plainText(d.working_days_overdue)} 个工作日${d.reason ? `；${plainText(d.reason)}` : ''}`;
  }
  if (e.type === 'work_order.reminded') return `${d.kind === 'before' ? '截止前提醒' : '到期当天提醒'}${to.length ? `：${to.join('、')}` : ''}`;
  return null;
}

/** Who did it, from an event's actor (system, admin:NAME, wecom:USERID, token). */
function actorText(actor: string): string {
  if (actor === 'system') return '系统';
  if (actor === 'token') return '接口令牌';
  const [kind, who] = actor.split(':', 2);
  if (!who) return actor;
  return kind === 'wecom' ? `企业微信用户 ${who}` : who;
}

function Raw({ value }: { value: unknown }): JSX.Element {
  return (
    <details class="raw">
      <summary>原始数据</summary>
      <pre class="data">{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

function Story({ entries }: { entries: TimelineEntry[] }): JSX.Element {
  return (
    <ol class="timeline">
      {entries.map((e) => (
        <li key={e.id} data-type={e.type}>
          <b>{e.label}</b>
          <span class="muted">
            {' '}
            · {fmtTime(e.at)}
            {e.actor ? ` · ${e.actor.name}${e.actor.unit ? `（${e.actor.unit}）` : ''}` : ''}
          </span>
          {e.summary ? <div>{e.summary}</div> : null}
          {e.deliveries.length ? (
            <details class="deliveries">
              <summary>消息 {e.deliveries.length} 条</summary>
              <ul>
                {e.deliveries.map((d, i) => (
                  <li key={i}>
                    发给 {d.to}
                    {d.purpose ? `（${PURPOSE_LABELS[d.purpose] ?? '其他消息'}）` : ''} · {d.state_label ?? DELIVERY_STATE[d.state] ?? d.state}
                    {d.at ? ` · ${fmtTime(d.at)}` : ''}
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
          {isAdmin() ? <Raw value={e.raw} /> : null}
        </li>
      ))}
    </ol>
  );
}

function EventList({ events }: { events: OrderEvent[] }): JSX.Element {
  return (
    <ol class="timeline">
      {events.map((e) => {
        const detail = eventDetail(e);
        return (
          <li key={e.id} data-type={e.type}>
            <b>{EVENT_LABELS[e.type] || '其他事件'}</b>
            <span class="muted">
              {' '}
              · {fmtTime(e.at)} · {actorText(e.actor)}
            </span>
            {detail ? <div>{detail}</div> : null}
            {isAdmin() ? <Raw value={e} /> : null}
          </li>
        );
      })}
    </ol>
  );
}

// ----------------------------------------------------------------------------------- rechecks

const RESULT_CLASS: Record<string, string> = { passed: 'accepted', failed: 'rejected', unknown: 'replied' };
const REASON_TEXT: Record<string, string> = { submit: '提交整改时', manual: '手动', weekly: '每周' };

function RecheckPanel({ o, r }: { o: OrderDetail; r: Rechecks }): JSX.Element | null {
  const [running, setRunning] = useState(false);
  if (r.target_kind === 'newmedia') return null;
  return (
    <div class="card">
      {isAdmin() ? (
        <form
          class="actions"
          onSubmit={async (ev) => {
            ev.preventDefault();
            const url = new FormData(ev.currentTarget).get('url');
            if (await attempt(() => api('PUT', `/work-orders/${o.id}/address`, { url }))) {
              flash('复查网址已保存。', 'ok', true);
              reload();
            }
          }}
        >
          <Field label="复查网址">
            <input name="url" size={50} defaultValue={r.address || ''} placeholder="https://www.example.gov.cn/" />
          </Field>
          <button type="submit" class="secondary">
            保存网址
          </button>
        </form>
      ) : (
        <p>复查网址：{r.address || '未登记'}</p>
      )}
      {canReview() && r.address ? (
        <button
          type="button"
          disabled={running}
          onClick={async () => {
            setRunning(true);
            const run = await attempt(() => api<{ verdict_label: string }>('POST', `/work-orders/${o.id}/recheck`));
            if (run) flash(`复查完成：${run.verdict_label}`, 'ok', true);
            reload();
          }}
        >
          {running ? '复查中…' : '立即复查'}
        </button>
      ) : null}
      {r.runs.length ? (
        r.runs.map((run) => (
          <div key={run.id} class="recheck-run">
            <p>
              <b>
                {fmtTime(run.started_at)} · {REASON_TEXT[run.reason] || '其他'}复查 ·{' '}
              </b>
              <span class={`pill ${RESULT_CLASS[run.verdict ?? ''] || ''}`}>{run.verdict_label || (run.state === 'running' ? '进行中' : '—')}</span>
              {run.url ? <span class="muted"> {run.url}</span> : null}
            </p>
            {run.error ? <p class="muted">出错：{run.error}</p> : null}
            {run.checks.length ? (
              <Table headers={['检查项', '结果', '说明', '时间']}>
                {run.checks.map((c, i) => (
                  <tr key={i}>
                    <td>{c.label}</td>
                    <td>
                      <span class={`pill ${RESULT_CLASS[c.result]}`}>{c.result_label}</span>
                    </td>
                    <td>{c.detail}</td>
                    <td>{fmtTime(c.checked_at)}</td>
                  </tr>
                ))}
              </Table>
            ) : null}
            <p class="muted">
              {run.html ? (
                <a href={run.html.url} target="_blank" rel="noopener">
                  网页存档（{Math.round(run.html.size / 1024)} KB）
                </a>
              ) : null}
              {run.screenshot_note ? ` ${run.screenshot_note}` : null}
            </p>
            {run.screenshot ? (
              <a href={run.screenshot} target="_blank" rel="noopener">
                <img class="shot" src={run.screenshot} alt={`复查截图 ${run.id}`} />
              </a>
            ) : null}
          </div>
        ))
      ) : (
        <p class="muted">尚未复查。</p>
      )}
    </div>
  );
}

// -------------------------------------------------------------------------------------- page

export function WorkOrderPage({ params }: { params: string[] }): JSX.Element {
  const id = params[0];
  const data = useLoad(() => Promise.all([api<OrderDetail>('GET', `/work-orders/${id}`), isContact() ? Promise.resolve(null) : api<Rechecks>('GET', `/work-orders/${id}/rechecks`).catch(() => null)]));
  if (!data) return <Loading data={data} />;
  const [o, rechecks] = data;
  const allowed = o.allowed_actions ?? [];
  // Without the server's list (an older server), review follows the roles as before.
  const canReviewReply = (r: Reply) => r.review_state === 'pending' && o.state === 'replied' && (o.allowed_actions ? allowed.includes('review') : canReview());
  const facts: [string, JSX.Element | string][] = [
    ['状态', <StatePill key="s" o={o} />],
    ['对象', `${o.target.kind_label}${o.target.platform ? ` · ${o.target.platform}` : ''}${o.target.address ? ` · ${o.target.address}` : ''}`],
    ['主办单位', `${o.unit.name || '—'}${o.unit.jurisdiction ? `（${o.unit.jurisdiction}）` : ''}`],
    ['通报', `${o.notice.doc_no}${o.notice.title ? ` ${o.notice.title}` : ''}${o.notice.issued_on ? `，${o.notice.issued_on} 印发` : ''}`],
  ];
  const times: [string, JSX.Element | string][] = [
    ['通知时间', fmtTime(o.notified_at)],
    ['截止时间', o.due_at ? dueText(o) : o.expected_due_at ? `${dueText(o)}（若现在通知）` : '—'],
    ['反馈时间', `${fmtTime(o.replied_at)}${o.replied_late ? '（逾期反馈）' : ''}`],
    ['办结时间', fmtTime(o.closed_at)],
  ];
  if (o.overdue_working_days) times.push(['已逾期', `${o.overdue_working_days} 个工作日`]);
  if (o.source) {
    times.push([
      '监测工单',
      <span key="m">
        {o.source} · 接收于 {fmtTime(o.received_at)} ·{' '}
        {o.external_url ? (
          <a href={o.external_url} target="_blank" rel="noopener noreferrer">
            {o.external_no || '平台链接'}
          </a>
        ) : (
          o.external_no || '无平台编号'
        )}
      </span>,
    ]);
  }
  const dl = (rows: [string, JSX.Element | string][]) => (
    <dl>
      {rows.flatMap(([k, v]) => [
        <dt key={`t${k}`} class="muted">
          {k}
        </dt>,
        <dd key={`d${k}`}>{v}</dd>,
      ])}
    </dl>
  );
  const otherEvidence = o.evidence.filter((e) => e.reply_id === null && e.url);
  return (
    <section class="order">
      <p>
        {isContact() ? <a href="#/my">← 我的工单</a> : <a href={`#/work-orders${qs({ notice_id: o.notice.id })}`}>← {o.notice.doc_no} 的工单</a>}
      </p>
      <h1>
        工单 {o.code}：{o.target.name}
      </h1>
      <OrderActions o={o} allowed={allowed} />
      <div class="card two">
        {dl(facts)}
        {dl(times)}
      </div>
      <h2>存在问题</h2>
      <ol>
        {o.problem_list.map((p, i) => (
          <li key={i}>
            {p.text} <span class="pill">{p.category_label}</span>
          </li>
        ))}
      </ol>
      <h2>整改反馈</h2>
      {o.replies.length ? (
        o.replies.map((r) => (
          <div key={r.id} class="card">
            <p>
              <b>{r.contact?.name || r.contact?.userid || '单位联系人'}</b> · {fmtTime(r.created_at)}
              {r.late ? ' · 逾期' : ''} · <span class={`pill ${r.review_state}`}>{REVIEW_TEXT[r.review_state] || '—'}</span>
            </p>
            <p>{r.text || '（无文字）'}</p>
            {r.review_comment ? (
              <p class="muted">
                审核意见：{r.review_comment}（{r.reviewed_by || ''}）
              </p>
            ) : null}
            <div class="evidence">
              {o.evidence
                .filter((e) => e.reply_id === r.id && e.url)
                .map((e) => (
                  <a key={e.id} href={e.url ?? undefined} target="_blank" rel="noopener">
                    <img src={e.url ?? undefined} alt={`整改证据截图 ${e.id}`} />
                  </a>
                ))}
            </div>
            {canReviewReply(r) ? <ReviewForm reply={r} /> : null}
          </div>
        ))
      ) : (
        <p class="muted">尚无反馈。</p>
      )}
      {otherEvidence.length ? (
        <div class="evidence">
          <h3>其他证据</h3>
          {otherEvidence.map((e) => (
            <img key={e.id} src={e.url ?? undefined} alt={`证据截图 ${e.id}`} />
          ))}
        </div>
      ) : null}
      {allowed.includes('reply') && isContact() ? (
        <section class="card" aria-labelledby="reply-title">
          <h2 id="reply-title">提交整改反馈</h2>
          <ReplyForm orderId={o.id} onDone={reload} />
        </section>
      ) : allowed.includes('reply') ? (
        <details class="card">
          <summary>代单位提交整改反馈（如单位通过电话、邮件报送）</summary>
          <ReplyForm orderId={o.id} onDone={reload} />
        </details>
      ) : null}
      {rechecks && rechecks.target_kind !== 'newmedia' ? (
        <>
          <h2>自动复查</h2>
          <RecheckPanel o={o} r={rechecks} />
        </>
      ) : null}
      <h2>时间线</h2>
      {o.timeline ? <Story entries={o.timeline} /> : <EventList events={o.events} />}
    </section>
  );
}
