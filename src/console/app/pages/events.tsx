// 事件日志 (admins): every change, who made it, when; the raw record one click away.
import type { JSX } from 'preact';
import { api, qs } from '../api';
import type { EventItem, Page } from '../types';
import { Field, fmtTime, formText, hashQuery, Loading, Pager, setHashQuery, Table, useLoad } from '../ui';

export function EventsPage(): JSX.Element {
  const q = hashQuery();
  const f = { type: q.get('type') || '', actor: q.get('actor') || '' };
  const page = Number(q.get('page') || 1);
  const data = useLoad(() => api<Page<EventItem>>('GET', `/events${qs({ ...f, page, page_size: 50 })}`));
  return (
    <section>
      <h1>事件日志</h1>
      <form
        class="filters card"
        onSubmit={(ev) => {
          ev.preventDefault();
          const fd = new FormData(ev.currentTarget);
          setHashQuery('/events', { type: formText(fd.get('type')), actor: formText(fd.get('actor')) });
        }}
      >
        <Field label="事件类型代码（或前缀）">
          <input name="type" defaultValue={f.type} placeholder="如 deadline_rule" />
        </Field>
        <Field label="操作人账号">
          <input name="actor" defaultValue={f.actor} placeholder="如 admin:admin" />
        </Field>
        <button type="submit">筛选</button>
      </form>
      {!data ? (
        <Loading data={data} />
      ) : (
        <>
          <Table headers={['#', '时间', '事件', '操作人', '工单', '通报', '原始数据']} caption="事件">
            {data.items.map((e) => (
              <tr key={e.id}>
                <td class="num">{e.id}</td>
                <td>{fmtTime(e.at)}</td>
                <td>
                  {e.label ?? e.type}
                  {e.label ? <div class="muted small">{e.type}</div> : null}
                </td>
                <td>
                  {e.actor_name ?? e.actor}
                  {e.actor_name && e.actor_name !== e.actor ? <div class="muted small">{e.actor}</div> : null}
                </td>
                <td>{e.work_order_id ? <a href={`#/work-orders/${e.work_order_id}`}>{e.work_order_id}</a> : '—'}</td>
                <td>{e.notice_id ?? '—'}</td>
                <td>
                  <details class="raw">
                    <summary>查看</summary>
                    <pre class="data">{JSON.stringify(e.data, null, 2)}</pre>
                  </details>
                </td>
              </tr>
            ))}
          </Table>
          <Pager page={page} pageSize={50} total={data.total} go={(p) => setHashQuery('/events', { ...f, page: p })} />
        </>
      )}
    </section>
  );
}
