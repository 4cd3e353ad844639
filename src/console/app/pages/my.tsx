// 我的工单: a unit contact's own orders (open ones first) with their problems and deadline, and a
// reply form with photos; laid out for a phone (WeCom's built-in browser).
import type { JSX } from 'preact';
import { api, session } from '../api';
import type { OrderDetail, OrderListItem, Page } from '../types';
import { Loading, reload, useLoad } from '../ui';
import { dueText, ReplyForm, StatePill } from './common';

const CLOSED = new Set(['accepted', 'superseded', 'withdrawn']);
/** How many open orders are shown with their problems (one request each). */
const DETAILED = 20;

export function MyOrdersPage(): JSX.Element {
  const data = useLoad(async () => {
    const list = await api<Page<OrderListItem>>('GET', '/work-orders?page_size=100');
    const items = [...list.items].sort((a, b) => Number(CLOSED.has(a.state)) - Number(CLOSED.has(b.state)) || (a.due_at ?? '9').localeCompare(b.due_at ?? '9'));
    const open = items.filter((o) => !CLOSED.has(o.state)).slice(0, DETAILED);
    const details = await Promise.all(open.map((o) => api<OrderDetail>('GET', `/work-orders/${o.id}`).catch(() => null)));
    return { items, details: new Map(details.filter((d): d is OrderDetail => d !== null).map((d) => [d.id, d])) };
  });
  if (!data) return <Loading data={data} />;
  const open = data.items.filter((o) => !CLOSED.has(o.state));
  const closed = data.items.filter((o) => CLOSED.has(o.state));
  return (
    <section class="my">
      <h1>我的工单</h1>
      <p class="muted">
        {session.me?.unit_name ? `${session.me.unit_name} · ` : ''}待办 {open.length} 张，已结束 {closed.length} 张
      </p>
      {open.length ? null : <p class="msg ok">暂无需要整改的工单。</p>}
      {open.map((o) => {
        const d = data.details.get(o.id);
        const canReply = d?.allowed_actions ? d.allowed_actions.includes('reply') : !['replied'].includes(o.state);
        return (
          <article key={o.id} class="card order-card" aria-labelledby={`my-${o.id}`}>
            <h2 id={`my-${o.id}`}>
              <a href={`#/work-orders/${o.id}`}>
                {o.code} {o.target.name}
              </a>
            </h2>
            <p>
              <StatePill o={o} /> {o.target.kind_label}
              {o.target.platform ? ` · ${o.target.platform}` : ''}
            </p>
            <p>
              <b>截止：</b>
              {dueText(o)}
              {o.overdue_working_days ? <span class="pill overdue">已逾期 {o.overdue_working_days} 个工作日</span> : null}
            </p>
            <h3>存在问题</h3>
            {d ? (
              <ol>
                {d.problem_list.map((p, i) => (
                  <li key={i}>
                    {p.text} <span class="pill">{p.category_label}</span>
                  </li>
                ))}
              </ol>
            ) : (
              <p>{o.categories.map((c) => c.label).join('、')}</p>
            )}
            {o.state === 'replied' ? <p class="muted">已提交整改反馈，等待审核。</p> : null}
            {canReply ? (
              <details class="reply" open={open.length === 1}>
                <summary>提交整改反馈</summary>
                <ReplyForm orderId={o.id} onDone={reload} />
              </details>
            ) : null}
            <p>
              <a href={`#/work-orders/${o.id}`}>查看详情和办理记录 →</a>
            </p>
          </article>
        );
      })}
      {closed.length ? (
        <>
          <h2>已结束</h2>
          <ul class="plain">
            {closed.map((o) => (
              <li key={o.id}>
                <a href={`#/work-orders/${o.id}`}>
                  {o.code} {o.target.name}
                </a>{' '}
                <StatePill o={o} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
