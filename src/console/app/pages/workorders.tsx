// 工单: the list, with saved views, sorting on every column, page size, selection with bulk
// 催办 / change of deadline / export.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, canReview, qs } from '../api';
import type { BulkResult, NoticeItem, OrderListItem, Page, UnitItem } from '../types';
import { attempt, Dialog, Field, flash, formText, hashQuery, Loading, Pager, reload, Select, setHashQuery, Table, todayIso, useLoad, type Header } from '../ui';
import { VIEWS } from './dashboard';
import { dueText, StatePill } from './common';

const STATES = [['', '全部'], ['new', '待通知'], ['notified', '待整改'], ['replied', '待审核'], ['rejected', '已退回'], ['accepted', '已办结'], ['superseded', '已作废'], ['withdrawn', '已撤销']] as const;
const KINDS = [['', '全部'], ['website', '政府网站'], ['column', '网站栏目'], ['newmedia', '政务新媒体']] as const;
const FILTERS = ['notice_id', 'unit_id', 'state', 'overdue', 'kind', 'category', 'jurisdiction', 'q', 'source', 'external_no'] as const;
const PAGE_SIZES = [20, 50, 100] as const;

type Filters = Record<(typeof FILTERS)[number] | 'view' | 'sort' | 'dir', string>;

function readFilters(q: URLSearchParams): Filters {
  const f = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) || ''])) as Filters;
  f.view = q.get('view') || '';
  f.sort = q.get('sort') || '';
  f.dir = q.get('dir') === 'desc' ? 'desc' : q.get('dir') === 'asc' ? 'asc' : '';
  return f;
}

/** A column header that sorts the list by its column (a second click reverses). */
function sortHeader(label: string, column: string, f: Filters, go: (p: Partial<Filters>) => void, cls?: string): Header {
  const active = f.sort === column;
  const dir = active ? f.dir || 'asc' : null;
  return {
    class: cls,
    sort: dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none',
    text: (
      <button type="button" class="sort" onClick={() => go({ sort: column, dir: active && dir === 'asc' ? 'desc' : 'asc' })} aria-label={`按${label}排序`}>
        {label}
        <span aria-hidden="true">{dir === 'asc' ? ' ▲' : dir === 'desc' ? ' ▼' : ' ↕'}</span>
      </button>
    ),
  };
}

function BulkBar({ ids, onDone }: { ids: number[]; onDone: () => void }): JSX.Element {
  const [open, setOpen] = useState<'remind' | 'due' | null>(null);
  const report = (what: string, r: BulkResult) => {
    const ok = r.results.filter((x) => x.ok).length;
    const failed = r.results.filter((x) => !x.ok);
    flash(`${what}：成功 ${ok} 张${failed.length ? `，失败 ${failed.length} 张（${failed.map((x) => `#${x.id} ${x.error ?? ''}`).join('；')}）` : ''}。`, failed.length ? 'err' : 'ok', true);
    onDone();
  };
  const exportHref = (format: string) => `/api/work-orders/export${qs({ ids: ids.join(','), format })}`;
  return (
    <div class="bulk card" role="region" aria-label="批量操作">
      <b>已选择 {ids.length} 张</b>
      {canReview() ? (
        <>
          <button type="button" onClick={() => setOpen('remind')}>
            批量催办
          </button>
          <button type="button" class="secondary" onClick={() => setOpen('due')}>
            批量修改期限
          </button>
        </>
      ) : null}
      <a href={exportHref('xlsx')} download="">
        导出所选 XLSX
      </a>
      <a href={exportHref('csv')} download="">
        导出所选 CSV
      </a>
      {open === 'remind' ? (
        <Dialog
          title={`催办所选的 ${ids.length} 张工单`}
          submitText="发送催办"
          onClose={() => setOpen(null)}
          onSubmit={async (v) => {
            const r = await attempt(() => api<BulkResult>('POST', '/work-orders/bulk', { action: 'remind', ids, note: v.note || undefined }));
            if (r) report('批量催办', r);
            return Boolean(r);
          }}
        >
          <p class="muted">将立即向各工单的单位联系人发送催办消息，并记入时间线。</p>
          <Field label="催办附言（可不填）">
            <textarea name="note" rows={3} />
          </Field>
        </Dialog>
      ) : null}
      {open === 'due' ? (
        <Dialog
          title={`修改所选 ${ids.length} 张工单的期限`}
          submitText="修改期限"
          onClose={() => setOpen(null)}
          onSubmit={async (v) => {
            const r = await attempt(() => api<BulkResult>('POST', '/work-orders/bulk', { action: 'due', ids, due: v.due, reason: v.reason }));
            if (r) report('批量修改期限', r);
            return Boolean(r);
          }}
        >
          <Field label="新的截止日期">
            <input name="due" type="date" required min={todayIso()} />
          </Field>
          <Field label="原因（将告知单位）">
            <input name="reason" required />
          </Field>
        </Dialog>
      ) : null}
    </div>
  );
}

export function WorkOrdersPage(): JSX.Element {
  const q = hashQuery();
  const f = readFilters(q);
  const page = Number(q.get('page') || 1);
  const pageSize = PAGE_SIZES.find((s) => String(s) === q.get('page_size')) ?? 50;
  const go = (patch: Partial<Filters> & { page?: number; page_size?: number }) => setHashQuery('/work-orders', { ...f, page_size: pageSize === 50 ? '' : pageSize, ...patch });
  const data = useLoad(() =>
    Promise.all([
      api<Page<OrderListItem>>('GET', `/work-orders${qs({ ...f, page, page_size: pageSize })}`),
      api<Page<NoticeItem>>('GET', '/notices?page_size=200'),
      api<Page<UnitItem>>('GET', '/units?page_size=500'),
      api<{ categories: Record<string, string> }>('GET', '/deadline-rules'),
    ]),
  );
  const [selected, setSelected] = useState<Set<number>>(new Set());
  if (!data) return <Loading data={data} />;
  const [list, notices, units, rules] = data;
  const categories = Object.entries(rules.categories);
  const exportHref = (format: string) => `/api/work-orders/export${qs({ ...f, format })}`;
  const toggle = (id: number, on: boolean) =>
    setSelected((s) => {
      const n = new Set(s);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });
  const allOnPage = list.items.length > 0 && list.items.every((o) => selected.has(o.id));
  return (
    <section>
      <h1>工单</h1>
      <nav class="tabs" aria-label="常用筛选">
        <a href="#/work-orders" aria-current={!f.view ? 'page' : undefined}>
          全部
        </a>
        {VIEWS.map(([id, label]) => (
          <a key={id} href={`#/work-orders?view=${id}`} aria-current={f.view === id ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <form
        class="filters card"
        onSubmit={(ev) => {
          ev.preventDefault();
          const fd = new FormData(ev.currentTarget);
          go({ ...Object.fromEntries(FILTERS.map((k) => [k, formText(fd.get(k))])), page: 1 });
        }}
      >
        <Field label="通报">
          <Select name="notice_id" options={[['', '全部'], ...notices.items.map((n) => [n.id, n.doc_no] as const)]} value={f.notice_id} />
        </Field>
        <Field label="单位">
          <Select name="unit_id" options={[['', '全部'], ...units.items.map((u) => [u.id, u.name] as const)]} value={f.unit_id} />
        </Field>
        <Field label="状态">
          <Select name="state" options={STATES} value={f.state} />
        </Field>
        <Field label="逾期">
          <Select name="overdue" options={[['', '全部'], ['true', '仅逾期'], ['false', '未逾期']]} value={f.overdue} />
        </Field>
        <Field label="对象类型">
          <Select name="kind" options={KINDS} value={f.kind} />
        </Field>
        <Field label="问题类别">
          <Select name="category" options={[['', '全部'], ...categories]} value={f.category} />
        </Field>
        <Field label="辖区">
          <input name="jurisdiction" defaultValue={f.jurisdiction} />
        </Field>
        <Field label="搜索编号、名称或单位">
          <input name="q" type="search" defaultValue={f.q} />
        </Field>
        <Field label="监测工单来源">
          <input name="source" defaultValue={f.source} />
        </Field>
        <Field label="平台工单编号">
          <input name="external_no" defaultValue={f.external_no} />
        </Field>
        <div class="actions">
          <button type="submit">筛选</button>
          <a href="#/work-orders">清除</a>
        </div>
      </form>
      <div class="actions">
        <span class="muted">共 {list.total} 张</span>
        <a href={exportHref('xlsx')} download="">
          导出 XLSX
        </a>
        <a href={exportHref('csv')} download="">
          导出 CSV
        </a>
        <Field label="每页" class="inline-field">
          <Select name="page_size" options={PAGE_SIZES.map((s) => [s, `${s} 条`] as const)} value={pageSize} onChange={(ev) => go({ page: 1, page_size: Number(ev.currentTarget.value) })} />
        </Field>
      </div>
      {selected.size ? (
        <BulkBar
          ids={[...selected]}
          onDone={() => {
            setSelected(new Set());
            reload();
          }}
        />
      ) : null}
      <Table
        caption="工单列表"
        headers={[
          {
            text: (
              <input
                type="checkbox"
                aria-label="全选本页"
                checked={allOnPage}
                onChange={(ev) => {
                  const on = ev.currentTarget.checked;
                  for (const o of list.items) toggle(o.id, on);
                }}
              />
            ),
            class: 'select',
          },
          sortHeader('编号', 'id', f, go),
          sortHeader('通报', 'notice', f, go),
          sortHeader('名称', 'target', f, go),
          '类型',
          sortHeader('主办单位', 'unit', f, go),
          '辖区',
          sortHeader('问题类别', 'problems', f, go),
          sortHeader('状态', 'state', f, go),
          sortHeader('逾期工作日', 'overdue_working_days', f, go, 'num'),
          sortHeader('截止时间', 'due_at', f, go),
        ]}
      >
        {list.items.map((o) => (
          <tr key={o.id} class={selected.has(o.id) ? 'selected' : undefined}>
            <td class="select">
              <input type="checkbox" aria-label={`选择 ${o.code}`} checked={selected.has(o.id)} onChange={(ev) => toggle(o.id, ev.currentTarget.checked)} />
            </td>
            <td>
              <a href={`#/work-orders/${o.id}`}>{o.code}</a>
            </td>
            <td>{o.notice.doc_no}</td>
            <td>
              {o.target.name}
              {o.target.platform ? <div class="muted">{o.target.platform}</div> : null}
            </td>
            <td>{o.target.kind_label}</td>
            <td>{o.unit.name || '—'}</td>
            <td>{o.unit.jurisdiction || '—'}</td>
            <td>{o.categories.map((c) => c.label).join('、')}</td>
            <td>
              <StatePill o={o} />
            </td>
            <td class="num">{o.overdue_working_days === undefined ? '—' : o.overdue_working_days || ''}</td>
            <td>{o.due_at ? dueText(o) : o.expected_due_at ? <span title="按现行规则，若现在通知">{dueText(o)}</span> : '—'}</td>
          </tr>
        ))}
      </Table>
      <Pager page={page} pageSize={pageSize} total={list.total} go={(p) => go({ page: p })} />
    </section>
  );
}
