// 单位与联系人: units (edit name and jurisdiction), contacts (add, edit, unreachable ones),
// supervision scopes, and importing a contacts file.
import { api, ApiFailure, attempt, el, field, flash, hashQuery, isAdmin, pager, qs, select, setHashQuery, table } from '../lib.js';

const ROLES = [['primary', '主联系人'], ['backup', 'AB角'], ['leader', '分管领导'], ['supervisor', '主管单位'], ['admin', '管理员']];
const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

function unitRow(u) {
  const name = el('input', { value: u.name, 'aria-label': `单位 ${u.id} 名称`, disabled: !isAdmin() });
  const jur = el('input', { value: u.jurisdiction || '', 'aria-label': `单位 ${u.id} 辖区`, size: 10, disabled: !isAdmin() });
  return el(
    'tr',
    {},
    el('td', { class: 'num' }, u.id),
    el('td', {}, name),
    el('td', {}, jur),
    el('td', { class: 'num' }, u.contacts),
    el('td', { class: 'num' }, u.unreachable ? el('a', { href: `#/contacts${qs({ tab: 'contacts', unit_id: u.id, reachable: 'false' })}` }, u.unreachable) : 0),
    el('td', { class: 'num' }, u.open_work_orders),
    el(
      'td',
      {},
      isAdmin()
        ? el('button', {
            type: 'button',
            class: 'secondary',
            onclick: async () => {
              if (await attempt(() => api('PATCH', `/units/${u.id}`, { name: name.value, jurisdiction: jur.value || null }))) flash(`已保存单位 ${name.value}`);
            },
          }, '保存')
        : null,
      ' ',
      el('a', { href: `#/contacts${qs({ tab: 'contacts', unit_id: u.id })}` }, '联系人'),
    ),
  );
}

async function unitsTab(q) {
  const page = Number(q.get('page') || 1);
  const search = q.get('q') || '';
  const data = await api('GET', `/units${qs({ page, page_size: 50, q: search })}`);
  const add = el('form', { class: 'grid card', 'aria-label': '新建单位' },
    field('单位名称', el('input', { name: 'name', required: true })),
    field('辖区', el('input', { name: 'jurisdiction' })),
    el('button', { type: 'submit' }, '新建单位'),
  );
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (await attempt(() => api('POST', '/units', { name: add.elements.name.value, jurisdiction: add.elements.jurisdiction.value || null }))) {
      flash('已新建单位');
      reload();
    }
  });
  return el('div', {},
    el('form', { class: 'filters', onsubmit: (ev) => (ev.preventDefault(), setHashQuery('/contacts', { tab: 'units', q: new FormData(ev.target).get('q') })) },
      field('搜索单位', el('input', { name: 'q', type: 'search', value: search })), el('button', { type: 'submit' }, '搜索')),
    isAdmin() ? add : null,
    table(['#', '名称', '辖区', { text: '联系人', class: 'num' }, { text: '不可达', class: 'num' }, { text: '在办工单', class: 'num' }, '操作'], data.items.map(unitRow), '单位'),
    pager(page, 50, data.total, (p) => setHashQuery('/contacts', { tab: 'units', q: search, page: p })),
  );
}

async function contactsTab(q) {
  const page = Number(q.get('page') || 1);
  const f = { unit_id: q.get('unit_id') || '', reachable: q.get('reachable') || '', role: q.get('role') || '', q: q.get('q') || '' };
  const [data, units] = await Promise.all([api('GET', `/contacts${qs({ ...f, page, page_size: 50 })}`), api('GET', '/units?page_size=500')]);
  const unitOptions = [['', '（无）'], ...units.items.map((u) => [u.id, u.name])];
  const filters = el('form', { class: 'filters', onsubmit: (ev) => { ev.preventDefault(); const fd = new FormData(ev.target); setHashQuery('/contacts', { tab: 'contacts', unit_id: fd.get('unit_id'), reachable: fd.get('reachable'), role: fd.get('role'), q: fd.get('q') }); } },
    field('单位', select('unit_id', [['', '全部'], ...units.items.map((u) => [u.id, u.name])], f.unit_id)),
    field('可达', select('reachable', [['', '全部'], ['false', '仅不可达'], ['true', '可达']], f.reachable)),
    field('角色', select('role', [['', '全部'], ...ROLES], f.role)),
    field('搜索姓名或账号', el('input', { name: 'q', type: 'search', value: f.q })),
    el('button', { type: 'submit' }, '筛选'),
  );
  const add = el('form', { class: 'grid card', 'aria-label': '新建联系人' },
    field('单位', select('unit_id', unitOptions, f.unit_id)),
    field('姓名', el('input', { name: 'name' })),
    field('企业微信账号（userid）', el('input', { name: 'wecom_userid', required: true })),
    field('角色', select('role', ROLES, 'primary')),
    field('手机', el('input', { name: 'phone' })),
    el('button', { type: 'submit' }, '新建联系人'),
  );
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const e = add.elements;
    const body = { unit_id: e.unit_id.value ? Number(e.unit_id.value) : null, name: e.name.value || null, wecom_userid: e.wecom_userid.value, role: e.role.value, phone: e.phone.value || null };
    if (await attempt(() => api('POST', '/contacts', body))) {
      flash('已新建联系人');
      reload();
    }
  });
  const rows = data.items.map((c) =>
    el('tr', {},
      el('td', { class: 'num' }, c.id),
      el('td', {}, c.unit_name || '—'),
      el('td', {}, c.name || '—'),
      el('td', {}, c.wecom_userid),
      el('td', {}, c.role_label),
      el('td', {}, c.phone || '—'),
      el('td', {}, c.reachable ? '可达' : el('span', { class: 'pill overdue', title: c.unreachable_reason || '' }, `不可达${c.unreachable_reason ? `：${c.unreachable_reason}` : ''}`)),
      el('td', {}, c.active ? '在用' : '停用'),
      el('td', {}, isAdmin() ? el('div', { class: 'actions' },
        !c.reachable ? el('button', { type: 'button', class: 'secondary', onclick: async () => { if (await attempt(() => api('PATCH', `/contacts/${c.id}`, { reachable: true }))) { flash('已标记为可达'); reload(); } } }, '已核实可达') : null,
        el('button', { type: 'button', class: c.active ? 'danger' : 'secondary', onclick: async () => { if (await attempt(() => api('PATCH', `/contacts/${c.id}`, { active: !c.active }))) { flash(c.active ? '已停用' : '已启用'); reload(); } } }, c.active ? '停用' : '启用'),
      ) : null),
    ),
  );
  return el('div', {}, filters, isAdmin() ? add : null,
    table(['#', '单位', '姓名', '企业微信账号', '角色', '手机', '送达', '状态', '操作'], rows, '联系人'),
    pager(page, 50, data.total, (p) => setHashQuery('/contacts', { tab: 'contacts', ...f, page: p })));
}

async function supervisionsTab() {
  const [data, contacts, units] = await Promise.all([api('GET', '/supervisions'), api('GET', '/contacts?page_size=500&active=true'), api('GET', '/units?page_size=500')]);
  const add = el('form', { class: 'grid card', 'aria-label': '添加督办范围' },
    field('督办联系人', select('contact_id', contacts.items.map((c) => [c.id, `${c.name || c.wecom_userid}（${c.role_label}）`]), '')),
    field('单位', select('unit_id', [['', '（按辖区）'], ...units.items.map((u) => [u.id, u.name])], '')),
    field('或辖区', el('input', { name: 'jurisdiction' })),
    el('button', { type: 'submit' }, '添加'),
  );
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const e = add.elements;
    if (await attempt(() => api('POST', '/supervisions', { contact_id: Number(e.contact_id.value), unit_id: e.unit_id.value ? Number(e.unit_id.value) : null, jurisdiction: e.jurisdiction.value || null }))) {
      flash('已添加督办范围');
      reload();
    }
  });
  return el('div', {},
    el('p', { class: 'muted' }, '督办人账号（用户页关联联系人）只能看到这里列出的单位，或所列辖区内的全部单位。'),
    add,
    table(['#', '督办联系人', '单位', '辖区', '操作'], data.items.map((s) => el('tr', {},
      el('td', { class: 'num' }, s.id), el('td', {}, s.contact_name || s.contact_id), el('td', {}, s.unit_name || '—'), el('td', {}, s.jurisdiction || '—'),
      el('td', {}, el('button', { type: 'button', class: 'danger', onclick: async () => { if (await attempt(() => api('DELETE', `/supervisions/${s.id}`))) { flash('已移除'); reload(); } } }, '移除')))), '督办范围'));
}

function importTab() {
  const out = el('div', { 'aria-live': 'polite' });
  const form = el('form', { class: 'grid card', 'aria-label': '导入通讯录' },
    field('通讯录文件（CSV / XLSX）', el('input', { type: 'file', name: 'file', required: true })),
    el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'dry_run', value: 'true', checked: true }), '只预览，不写入'),
    el('button', { type: 'submit' }, '上传'),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    if (!fd.get('dry_run')) fd.set('dry_run', 'false');
    try {
      const res = await api('POST', '/contacts/import', fd);
      out.replaceChildren(el('pre', { class: 'data' }, JSON.stringify(res, null, 2)));
    } catch (e) {
      out.replaceChildren(el('div', { class: `msg err` }, e instanceof ApiFailure ? e.message : String(e)));
    }
  });
  return el('div', {}, form, out);
}

export async function contactsPage() {
  const q = hashQuery();
  const tab = q.get('tab') || 'units';
  const tabs = [['units', '单位'], ['contacts', '联系人'], ...(isAdmin() ? [['supervisions', '督办范围'], ['import', '导入通讯录']] : [])];
  const body = tab === 'contacts' ? await contactsTab(q) : tab === 'supervisions' ? await supervisionsTab() : tab === 'import' ? importTab() : await unitsTab(q);
  return el('section', {},
    el('h1', {}, '单位与联系人'),
    el('nav', { 'aria-label': '单位与联系人分页', class: 'tabs' }, tabs.map(([id, label]) => el('a', { href: `#/contacts?tab=${id}`, 'aria-current': id === tab ? 'page' : false }, label))),
    body);
}
