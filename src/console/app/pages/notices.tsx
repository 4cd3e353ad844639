// 通报: the list, and uploading a notice's table with a preview before anything is written.
import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api, isAdmin, qs } from '../api';
import type { NoticeItem, Page } from '../types';
import { attempt, Field, flash, formText, hashQuery, Loading, Pager, Select, setHashQuery, Table, useLoad } from '../ui';

const KINDS = [['', '自动识别'], ['website', '政府网站'], ['column', '网站栏目'], ['newmedia', '政务新媒体']] as const;

type Options = Record<string, string | boolean | string[] | undefined> & { map?: string[]; replace?: boolean };

interface FoundTable {
  name: string;
  caption: string | null;
  skipped: string | null;
  rows: number;
  kind: string;
  headers: string[];
  source: string[];
}

interface Preview {
  upload_id: string;
  file_name: string;
  can_confirm: boolean;
  duplicate: { message: string } | null;
  rejected: { line: number; sheet: string | null; reason: string }[];
  result: Record<string, number> | null;
  items_total: number;
  items: { line: number | null; name: string; kind_label: string; platform: string | null; unit: string; jurisdiction: string | null; problems: { text: string; category_label: string }[] }[];
  found?: Record<string, string | null>;
  notice?: {
    format: string;
    pages: number | null;
    period: { from: string; to: string } | null;
    doc_no: string | null;
    title: string | null;
    issuer: string | null;
    issued_on: string | null;
    report_due_on: string | null;
    attachments: { number: number | string; title: string | null; tables: FoundTable[] }[];
    body_tables: FoundTable[];
  };
}

interface Confirmed {
  notice_id: number;
  doc_no: string;
  work_orders: number;
  codes: { first: string; last: string } | null;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

// What was found in a notice document (facts, each attachment's tables with their source text),
// with the facts and the column mapping editable: "按修改重新预览" previews again with them.
function NoticeFound({ p, options, onRepreview }: { p: Preview; options: Options; onRepreview: (o: Options) => Promise<void> }): JSX.Element | null {
  const n = p.notice;
  if (!n) return null;
  const f = p.found || {};
  const tables = [
    ...n.attachments.flatMap((a) => a.tables.map((t) => ({ ...t, attachment: `附件${a.number}${a.title ? `“${a.title}”` : ''}` }))),
    ...n.body_tables.map((t) => ({ ...t, attachment: '正文' })),
  ];
  const val = (k: string, fallback: string | null) => str(options[k]) || fallback || '';
  return (
    <section class="card" aria-labelledby="found-title">
      <h2 id="found-title">
        在通报中找到（{n.format.toUpperCase()}
        {n.pages ? `，${n.pages} 页` : ''}）
      </h2>
      {n.period ? (
        <p class="muted">
          检查时段：{n.period.from} 至 {n.period.to}
        </p>
      ) : null}
      <form
        class="grid"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const next: Options = { ...options };
          for (const [k, v] of new FormData(ev.currentTarget).entries()) {
            if (k === 'map')
              next.map = formText(v)
                .split('\n')
                .map((x) => x.trim())
                .filter(Boolean);
            else if (v === '') delete next[k];
            else next[k] = formText(v);
          }
          await onRepreview(next);
        }}
      >
        <Field label={`文号（找到：${f.docNo || '无'}）`}>
          <input name="doc_no" defaultValue={val('doc_no', n.doc_no)} />
        </Field>
        <Field label={`标题（找到：${f.title || '无'}）`}>
          <input name="title" defaultValue={val('title', n.title)} />
        </Field>
        <Field label={`发文机关（找到：${f.issuer || '无'}）`}>
          <input name="issuer" defaultValue={val('issuer', n.issuer)} />
        </Field>
        <Field label={`成文日期（找到：${f.issuedOn || '无'}）`}>
          <input name="issued_on" type="date" defaultValue={val('issued_on', n.issued_on)} />
        </Field>
        <Field label={`报送截止（找到：${f.reportDueOn || '无'}）`}>
          <input name="report_due_on" type="date" defaultValue={val('report_due_on', n.report_due_on)} />
        </Field>
        <Field label="列对应（每行一个“表头=字段”，字段：name 名称、unit 主办单位、platform 平台、address 网址、problem 问题、jurisdiction 辖区、due 期限、column 栏目、extra 备注、ignore 忽略）">
          <textarea name="map" rows={2} defaultValue={(options.map || []).join('\n')} />
        </Field>
        <button type="submit" class="secondary">
          按修改重新预览
        </button>
      </form>
      {tables.map((t, i) => (
        <div key={i} class="two">
          <div>
            <h3>
              {t.attachment} · {t.name}
              {t.caption ? `：${t.caption}` : ''}
            </h3>
            <p>{t.skipped ? `未导入：${t.skipped}` : `导入 ${t.rows} 行（${t.kind === 'newmedia' ? '政务新媒体' : t.kind === 'column' ? '网站栏目' : '政府网站'}）`}</p>
            <p class="muted">表头：{t.headers.join('、') || '无'}</p>
          </div>
          <pre class="data" aria-label={`${t.name} 原文`}>
            {t.source.join('\n')}
          </pre>
        </div>
      ))}
    </section>
  );
}

function PreviewView({ p, options, onDone, onRepreview }: { p: Preview; options: Options; onDone: (r: Confirmed | null) => void; onRepreview: (o: Options) => Promise<void> }): JSX.Element {
  const r = p.result;
  const [busy, setBusy] = useState(false);
  return (
    <section class="card" aria-labelledby="preview-title">
      <h2 id="preview-title">预览：{p.file_name}</h2>
      <p class="muted">以下是导入后将创建的内容，尚未写入任何数据。</p>
      <NoticeFound p={p} options={options} onRepreview={onRepreview} />
      {p.duplicate ? (
        <div class="msg err" role="alert">
          {p.duplicate.message}
        </div>
      ) : null}
      {p.rejected.length ? (
        <div class="msg err" role="alert">
          有 {p.rejected.length} 行被拒绝，请修改文件后重新上传；整个文件不会导入。
        </div>
      ) : null}
      {r ? (
        <div class="stats">
          {(
            [
              ['数据行', r.rows],
              ['将创建工单', r.work_orders],
              ['问题', r.problems],
              ['新对象', r.targets_new],
              ['新单位', r.units_new],
              ['本年重复被通报', r.repeat_targets],
              ['新升级事项', r.escalations],
            ] as const
          ).map(([k, v]) => (
            <div key={k} class="stat">
              <span class="muted">{k}</span>
              <b>{v}</b>
            </div>
          ))}
        </div>
      ) : null}
      {p.rejected.length ? (
        <Table headers={['行号', '工作表', '原因']} caption="被拒绝的行">
          {p.rejected.map((x, i) => (
            <tr key={i}>
              <td class="num">{x.line}</td>
              <td>{x.sheet || '—'}</td>
              <td>{x.reason}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      <div class="actions">
        <button
          type="button"
          disabled={busy || (!p.can_confirm && !(p.duplicate && options.replace))}
          onClick={async () => {
            setBusy(true);
            const res = await attempt(() => api<Confirmed>('POST', `/notices/uploads/${p.upload_id}/confirm`, options));
            setBusy(false);
            if (res) {
              flash(`已导入通报 ${res.doc_no}：创建工单 ${res.work_orders} 张（${res.codes ? `${res.codes.first} 至 ${res.codes.last}` : '无'}）。`, 'ok', true);
              onDone(res);
            }
          }}
        >
          确认导入
        </button>
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            await attempt(() => api('DELETE', `/notices/uploads/${p.upload_id}`));
            onDone(null);
          }}
        >
          取消
        </button>
      </div>
      <Table headers={['行号', '名称', '类型', '平台', '主办单位', '辖区', '存在问题']} caption={`将创建的工单（${p.items_total}）`}>
        {p.items.map((i, k) => (
          <tr key={k}>
            <td class="num">{i.line ?? '—'}</td>
            <td>{i.name}</td>
            <td>{i.kind_label}</td>
            <td>{i.platform || '—'}</td>
            <td>{i.unit}</td>
            <td>{i.jurisdiction || '—'}</td>
            <td>
              <ul>
                {i.problems.map((x, j) => (
                  <li key={j}>
                    {x.text}（{x.category_label}）
                  </li>
                ))}
              </ul>
            </td>
          </tr>
        ))}
      </Table>
    </section>
  );
}

function UploadForm({ onImported }: { onImported: (r: Confirmed) => void }): JSX.Element {
  const [shown, setShown] = useState<{ p: Preview; options: Options; seq: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const done = (res: Confirmed | null) => {
    setShown(null);
    formRef.current?.reset();
    if (res) onImported(res);
  };
  const repreview = (p: Preview) => async (next: Options) => {
    const again = await attempt(() => api<Preview>('POST', `/notices/uploads/${p.upload_id}/preview`, next));
    if (again) setShown((s) => ({ p: again, options: next, seq: (s?.seq ?? 0) + 1 }));
  };
  return (
    <section class="card" aria-labelledby="upload-title">
      <h2 id="upload-title">上传通报</h2>
      <form
        ref={formRef}
        class="grid"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const fd = new FormData(ev.currentTarget);
          const file = fd.get('file');
          if (!(file instanceof File) || !file.size) {
            flash('请选择要上传的文件', 'err');
            return;
          }
          for (const [k, v] of [...fd.entries()]) if (v === '') fd.delete(k);
          const options: Options = {};
          for (const [k, v] of fd.entries()) if (k !== 'file') options[k] = k === 'replace' ? true : formText(v);
          setBusy(true);
          const p = await attempt(() => api<Preview>('POST', '/notices/uploads', fd));
          setBusy(false);
          if (!p) return;
          setShown({ p, options, seq: 0 });
          requestAnimationFrame(() => document.getElementById('preview-title')?.scrollIntoView());
        }}
      >
        <Field label="通报文件（PDF / Word / 网页 / 文本）或附件表（CSV / XLSX / JSON）">
          <input type="file" name="file" accept=".pdf,.docx,.doc,.html,.htm,.txt,.md,.csv,.xlsx,.json" required />
        </Field>
        <Field label="文号">
          <input name="doc_no" placeholder="如 咸政网办〔2022〕5号" />
        </Field>
        <Field label="标题">
          <input name="title" />
        </Field>
        <Field label="印发日期">
          <input name="issued_on" type="date" />
        </Field>
        <Field label="报送整改情况截止日期">
          <input name="report_due_on" type="date" />
        </Field>
        <Field label="对象类型">
          <Select name="kind" options={KINDS} value="" />
        </Field>
        <Field label="来源（期限规则按来源匹配）">
          <input name="source" placeholder="如 quarterly" />
        </Field>
        <label class="inline">
          <input type="checkbox" name="replace" value="true" />
          替换已导入的同文号通报
        </label>
        <button type="submit" disabled={busy}>
          上传并预览
        </button>
      </form>
      {shown ? <PreviewView key={shown.seq} p={shown.p} options={shown.options} onDone={done} onRepreview={repreview(shown.p)} /> : null}
    </section>
  );
}

export function NoticesPage(): JSX.Element {
  const q = hashQuery();
  const page = Number(q.get('page') || 1);
  const search = q.get('q') || '';
  const data = useLoad(() => api<Page<NoticeItem>>('GET', `/notices${qs({ page, page_size: 20, q: search })}`));
  return (
    <section>
      <h1>通报</h1>
      {isAdmin() ? <UploadForm onImported={(res) => setHashQuery('/work-orders', { notice_id: res.notice_id })} /> : null}
      <form
        class="filters"
        onSubmit={(ev) => {
          ev.preventDefault();
          setHashQuery('/notices', { q: formText(new FormData(ev.currentTarget).get('q')) });
        }}
      >
        <Field label="搜索文号或标题">
          <input name="q" defaultValue={search} type="search" />
        </Field>
        <button type="submit">搜索</button>
      </form>
      {!data ? (
        <Loading data={data} />
      ) : (
        <>
          <Table
            headers={['文号', '标题', '印发日期', '报送截止', { text: '工单', class: 'num' }, { text: '在办', class: 'num' }, { text: '逾期', class: 'num' }, '状态', '操作']}
            caption="通报列表"
          >
            {data.items.map((n) => (
              <tr key={n.id}>
                <td>{n.doc_no}</td>
                <td>{n.title || '—'}</td>
                <td>{n.issued_on}</td>
                <td>{n.report_due_on || '—'}</td>
                <td class="num">{n.work_orders}</td>
                <td class="num">{n.open}</td>
                <td class="num">{n.overdue}</td>
                <td>{n.status === 'active' ? '有效' : '已替换'}</td>
                <td>
                  <div class="actions">
                    <a href={`#/work-orders${qs({ notice_id: n.id })}`}>查看工单</a>
                    <a href={`/api/notices/${n.id}/export?format=xlsx`} download="" aria-label={`导出 ${n.doc_no} 整改情况 XLSX`}>
                      导出 XLSX
                    </a>
                    <a href={`/api/notices/${n.id}/export?format=csv`} download="" aria-label={`导出 ${n.doc_no} 整改情况 CSV`}>
                      导出 CSV
                    </a>
                  </div>
                </td>
              </tr>
            ))}
          </Table>
          <Pager page={page} pageSize={20} total={data.total} go={(p) => setHashQuery('/notices', { page: p, q: search })} />
        </>
      )}
    </section>
  );
}
