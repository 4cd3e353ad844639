// 单位与联系人: units (edit name and jurisdiction), contacts (add, edit, unreachable ones),
// supervision scopes, and importing a contacts file.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiFailure, isAdmin, qs } from '../api';
import type { ContactItem, Page, UnitItem } from '../types';
import { attempt, confirmFirst, Field, flash, formText, hashQuery, Loading, Pager, plainText, reload, Select, setHashQuery, Table, useLoad } from '../ui';

const ROLES = [['primary', '主联系人'], ['backup', 'AB角'], ['leader', '分管领导'], ['supervisor', '主管单位'], ['admin', '管理员']] as const;

const fdStr = (fd: FormData, k: string) => formText(fd.get(k)).trim();

function UnitRow({ u }: { u: UnitItem }): JSX.Element {
  const [name, setName] = useState(u.name);
  const [jur, setJur] = useState(u.jurisdiction || '');
  return (
    <tr>
      <td class="num">{u.id}</td>
      <td>
        <input value={name} aria-label={`单位 ${u.id} 名称`} disabled={!isAdmin()} onInput={(ev) => setName(ev.currentTarget.value)} />
      </td>
      <td>
        <input value={jur} aria-label={`单位 ${u.id} 辖区`} size={10} disabled={!isAdmin()} onInput={(ev) => setJur(ev.currentTarget.value)} />
      </td>
      <td class="num">{u.contacts}</td>
      <td class="num">{u.unreachable ? <a href={`#/contacts${qs({ tab: 'contacts', unit_id: u.id, reachable: 'false' })}`}>{u.unreachable}</a> : 0}</td>
      <td class="num">{u.open_work_orders}</td>
      <td>
        {isAdmin() ? (
          <button
            type="button"
            class="secondary"
            onClick={async () => {
              if (await attempt(() => api('PATCH', `/units/${u.id}`, { name, jurisdiction: jur || null }))) flash(`已保存单位 ${name}`);
            }}
          >
            保存
          </button>
        ) : null}{' '}
        <a href={`#/contacts${qs({ tab: 'contacts', unit_id: u.id })}`}>联系人</a>
      </td>
    </tr>
  );
}

function UnitsTab({ q }: { q: URLSearchParams }): JSX.Element {
  const page = Number(q.get('page') || 1);
  const search = q.get('q') || '';
  const data = useLoad(() => api<Page<UnitItem>>('GET', `/units${qs({ page, page_size: 50, q: search })}`));
  if (!data) return <Loading data={data} />;
  return (
    <div>
      <form
        class="filters"
        onSubmit={(ev) => {
          ev.preventDefault();
          setHashQuery('/contacts', { tab: 'units', q: fdStr(new FormData(ev.currentTarget), 'q') });
        }}
      >
        <Field label="搜索单位">
          <input name="q" type="search" defaultValue={search} />
        </Field>
        <button type="submit">搜索</button>
      </form>
      {isAdmin() ? (
        <form
          class="grid card"
          aria-label="新建单位"
          onSubmit={async (ev) => {
            ev.preventDefault();
            const fd = new FormData(ev.currentTarget);
            if (await attempt(() => api('POST', '/units', { name: fdStr(fd, 'name'), jurisdiction: fdStr(fd, 'jurisdiction') || null }))) {
              flash('已新建单位', 'ok', true);
              reload();
            }
          }}
        >
          <Field label="单位名称">
            <input name="name" required />
          </Field>
          <Field label="辖区">
            <input name="jurisdiction" />
          </Field>
          <button type="submit">新建单位</button>
        </form>
      ) : null}
      <Table headers={['#', '名称', '辖区', { text: '联系人', class: 'num' }, { text: '不可达', class: 'num' }, { text: '在办工单', class: 'num' }, '操作']} caption="单位">
        {data.items.map((u) => (
          <UnitRow key={u.id} u={u} />
        ))}
      </Table>
      <Pager page={page} pageSize={50} total={data.total} go={(p) => setHashQuery('/contacts', { tab: 'units', q: search, page: p })} />
    </div>
  );
}

function ContactsTab({ q }: { q: URLSearchParams }): JSX.Element {
  const page = Number(q.get('page') || 1);
  const f = { unit_id: q.get('unit_id') || '', reachable: q.get('reachable') || '', role: q.get('role') || '', q: q.get('q') || '' };
  const data = useLoad(() => Promise.all([api<Page<ContactItem>>('GET', `/contacts${qs({ ...f, page, page_size: 50 })}`), api<Page<UnitItem>>('GET', '/units?page_size=500')]));
  if (!data) return <Loading data={data} />;
  const [contacts, units] = data;
  const patch = async (c: ContactItem, body: Record<string, unknown>, done: string) => {
    if (await attempt(() => api('PATCH', `/contacts/${c.id}`, body))) {
      flash(done, 'ok', true);
      reload();
    }
  };
  return (
    <div>
      <form
        class="filters"
        onSubmit={(ev) => {
          ev.preventDefault();
          const fd = new FormData(ev.currentTarget);
          setHashQuery('/contacts', { tab: 'contacts', unit_id: fdStr(fd, 'unit_id'), reachable: fdStr(fd, 'reachable'), role: fdStr(fd, 'role'), q: fdStr(fd, 'q') });
        }}
      >
        <Field label="单位">
          <Select name="unit_id" options={[['', '全部'], ...units.items.map((u) => [u.id, u.name] as const)]} value={f.unit_id} />
        </Field>
        <Field label="可达">
          <Select name="reachable" options={[['', '全部'], ['false', '仅不可达'], ['true', '可达']]} value={f.reachable} />
        </Field>
        <Field label="角色">
          <Select name="role" options={[['', '全部'], ...ROLES]} value={f.role} />
        </Field>
        <Field label="搜索姓名或账号">
          <input name="q" type="search" defaultValue={f.q} />
        </Field>
        <button type="submit">筛选</button>
      </form>
      {isAdmin() ? (
        <form
          class="grid card"
          aria-label="新建联系人"
          onSubmit={async (ev) => {
            ev.preventDefault();
            const fd = new FormData(ev.currentTarget);
            const body = {
              unit_id: fdStr(fd, 'unit_id') ? Number(fdStr(fd, 'unit_id')) : null,
              name: fdStr(fd, 'name') || null,
              wecom_userid: fdStr(fd, 'wecom_userid'),
              role: fdStr(fd, 'role'),
              phone: fdStr(fd, 'phone') || null,
            };
            if (await attempt(() => api('POST', '/contacts', body))) {
              flash('已新建联系人', 'ok', true);
              reload();
            }
          }}
        >
          <Field label="单位">
            <Select name="unit_id" options={[['', '（无）'], ...units.items.map((u) => [u.id, u.name] as const)]} value={f.unit_id} />
          </Field>
          <Field label="姓名">
            <input name="name" />
          </Field>
          <Field label="企业微信账号（userid）">
            <input name="wecom_userid" required />
          </Field>
          <Field label="角色">
            <Select name="role" options={ROLES} value="primary" />
          </Field>
          <Field label="手机">
            <input name="phone" />
          </Field>
          <button type="submit">新建联系人</button>
        </form>
      ) : null}
      <Table headers={['#', '单位', '姓名', '企业微信账号', '角色', '手机', '送达', '状态', '操作']} caption="联系人">
        {contacts.items.map((c) => (
          <tr key={c.id}>
            <td class="num">{c.id}</td>
            <td>{c.unit_name || '—'}</td>
            <td>{c.name || '—'}</td>
            <td>{c.wecom_userid}</td>
            <td>{c.role_label}</td>
            <td>{c.phone || '—'}</td>
            <td>
              {c.reachable ? (
                '可达'
              ) : (
                <span class="pill overdue" title={c.unreachable_reason || ''}>
                  不可达{c.unreachable_reason ? `：${c.unreachable_reason}` : ''}
                </span>
              )}
            </td>
            <td>{c.active ? '在用' : '停用'}</td>
            <td>
              {isAdmin() ? (
                <div class="actions">
                  {!c.reachable ? (
                    <button type="button" class="secondary" onClick={() => patch(c, { reachable: true }, '已标记为可达')}>
                      已核实可达
                    </button>
                  ) : null}
                  <button
                    type="button"
                    class={c.active ? 'danger' : 'secondary'}
                    onClick={async () => {
                      if (c.active && !(await confirmFirst(`停用联系人 ${c.name || c.wecom_userid}？停用后不再给此人发送消息。`, { confirmText: '停用' }))) return;
                      await patch(c, { active: !c.active }, c.active ? '已停用' : '已启用');
                    }}
                  >
                    {c.active ? '停用' : '启用'}
                  </button>
                </div>
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
      <Pager page={page} pageSize={50} total={contacts.total} go={(p) => setHashQuery('/contacts', { tab: 'contacts', ...f, page: p })} />
    </div>
  );
}

interface Supervision {
  id: number;
  contact_id: number;
  contact_name: string | null;
  unit_name: string | null;
  jurisdiction: string | null;
}

function SupervisionsTab(): JSX.Element {
  const data = useLoad(() =>
    Promise.all([api<Page<Supervision>>('GET', '/supervisions'), api<Page<ContactItem>>('GET', '/contacts?page_size=500&active=true'), api<Page<UnitItem>>('GET', '/units?page_size=500')]),
  );
  if (!data) return <Loading data={data} />;
  const [sups, contacts, units] = data;
  return (
    <div>
      <p class="muted">督办人（用户页关联联系人，或用企业微信登录的主管单位联系人）只能看到这里列出的单位，或所列辖区内的全部单位。</p>
      <form
        class="grid card"
        aria-label="添加督办范围"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const fd = new FormData(ev.currentTarget);
          const body = { contact_id: Number(fdStr(fd, 'contact_id')), unit_id: fdStr(fd, 'unit_id') ? Number(fdStr(fd, 'unit_id')) : null, jurisdiction: fdStr(fd, 'jurisdiction') || null };
          if (await attempt(() => api('POST', '/supervisions', body))) {
            flash('已添加督办范围', 'ok', true);
            reload();
          }
        }}
      >
        <Field label="督办联系人">
          <Select name="contact_id" options={contacts.items.map((c) => [c.id, `${c.name || c.wecom_userid}（${c.role_label}）`] as const)} value="" />
        </Field>
        <Field label="单位">
          <Select name="unit_id" options={[['', '（按辖区）'], ...units.items.map((u) => [u.id, u.name] as const)]} value="" />
        </Field>
        <Field label="或辖区">
          <input name="jurisdiction" />
        </Field>
        <button type="submit">添加</button>
      </form>
      <Table headers={['#', '督办联系人', '单位', '辖区', '操作']} caption="督办范围">
        {sups.items.map((s) => (
          <tr key={s.id}>
            <td class="num">{s.id}</td>
            <td>{s.contact_name || s.contact_id}</td>
            <td>{s.unit_name || '—'}</td>
            <td>{s.jurisdiction || '—'}</td>
            <td>
              <button
                type="button"
                class="danger"
                onClick={async () => {
                  if (!(await confirmFirst(`移除 ${s.contact_name || s.contact_id} 对 ${s.unit_name || s.jurisdiction || ''} 的督办范围？`, { confirmText: '移除' }))) return;
                  if (await attempt(() => api('DELETE', `/supervisions/${s.id}`))) {
                    flash('已移除', 'ok', true);
                    reload();
                  }
                }}
              >
                移除
              </button>
            </td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

interface ImportResult {
  dry_run?: boolean;
  [k: string]: unknown;
}

const IMPORT_LABELS: Record<string, string> = {
  dry_run: '只预览',
  rows: '数据行',
  contacts: '联系人',
  contacts_new: '新联系人',
  units_new: '新单位',
  supervisions_new: '新督办范围',
  rejected: '被拒绝的行',
};

function ImportTab(): JSX.Element {
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <div>
      <form
        class="grid card"
        aria-label="导入通讯录"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const fd = new FormData(ev.currentTarget);
          if (!fd.get('dry_run')) fd.set('dry_run', 'false');
          setError(null);
          try {
            setResult(await api<ImportResult>('POST', '/contacts/import', fd));
          } catch (e) {
            setResult(null);
            setError(e instanceof ApiFailure ? e.message : String(e));
          }
        }}
      >
        <Field label="通讯录文件（CSV / XLSX）">
          <input type="file" name="file" required accept=".csv,.xlsx" />
        </Field>
        <label class="inline">
          <input type="checkbox" name="dry_run" value="true" defaultChecked />
          只预览，不写入
        </label>
        <button type="submit">上传</button>
      </form>
      <div aria-live="polite">
        {error ? <div class="msg err">{error}</div> : null}
        {result ? (
          <dl class="card">
            {Object.entries(result).flatMap(([k, v]) => [
              <dt key={`t${k}`} class="muted">
                {IMPORT_LABELS[k] ?? k}
              </dt>,
              <dd key={`d${k}`}>
                {Array.isArray(v) ? (
                  v.length ? (
                    <ul>
                      {(v as { line?: number; sheet?: string; reason?: string }[]).map((x, i) => (
                        <li key={i}>
                          {x.sheet ? `${x.sheet} ` : ''}
                          {x.line ? `第 ${x.line} 行：` : ''}
                          {x.reason ?? JSON.stringify(x)}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    '无'
                  )
                ) : typeof v === 'boolean' ? (
                  v ? '是' : '否'
                ) : typeof v === 'object' ? (
                  <pre class="data">{JSON.stringify(v, null, 2)}</pre>
                ) : (
                  plainText(v)
                )}
              </dd>,
            ])}
          </dl>
        ) : null}
      </div>
    </div>
  );
}

export function ContactsPage(): JSX.Element {
  const q = hashQuery();
  const tab = q.get('tab') || 'units';
  const tabs: [string, string][] = [['units', '单位'], ['contacts', '联系人'], ...(isAdmin() ? ([['supervisions', '督办范围'], ['import', '导入通讯录']] as [string, string][]) : [])];
  return (
    <section>
      <h1>单位与联系人</h1>
      <nav aria-label="单位与联系人分页" class="tabs">
        {tabs.map(([id, label]) => (
          <a key={id} href={`#/contacts?tab=${id}`} aria-current={id === tab ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {tab === 'contacts' ? <ContactsTab q={q} /> : tab === 'supervisions' ? <SupervisionsTab /> : tab === 'import' ? <ImportTab /> : <UnitsTab q={q} />}
    </section>
  );
}
