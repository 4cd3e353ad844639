// 用户 (admins): accounts, roles, the contact a supervisor is, disable, reset password.
import { api, attempt, el, field, flash, select, table } from '../lib.js';

const ROLES = [['admin', '管理员'], ['supervisor', '督办人'], ['viewer', '只读']];

export async function usersPage() {
  const [data, contacts] = await Promise.all([api('GET', '/users'), api('GET', '/contacts?page_size=500&active=true')]);
  const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  const contactOptions = [['', '（无）'], ...contacts.items.map((c) => [c.id, `${c.name || c.wecom_userid}（${c.unit_name || c.role_label}）`])];
  const out = el('div', { 'aria-live': 'polite' });
  const add = el('form', { class: 'grid card', 'aria-label': '新建用户' },
    field('用户名', el('input', { name: 'username', required: true, autocomplete: 'off' })),
    field('显示名称', el('input', { name: 'display_name' })),
    field('角色', select('role', ROLES, 'viewer')),
    field('关联联系人（督办人必填）', select('contact_id', contactOptions, '')),
    field('密码（空：自动生成）', el('input', { name: 'password', type: 'password', autocomplete: 'new-password' })),
    el('button', { type: 'submit' }, '新建用户'));
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const e = add.elements;
    const res = await attempt(() => api('POST', '/users', { username: e.username.value, display_name: e.display_name.value || null, role: e.role.value, contact_id: e.contact_id.value ? Number(e.contact_id.value) : null, password: e.password.value || undefined }));
    if (res) {
      add.reset();
      flash(`已创建用户 ${res.user.username}`);
      if (res.generated_password) out.replaceChildren(el('div', { class: 'msg ok' }, `用户 ${res.user.username} 的初始密码：${res.generated_password}（只显示这一次）`));
      else reload();
    }
  });
  const rows = data.items.map((u) => {
    const role = select('role', ROLES, u.role, { 'aria-label': `${u.username} 的角色` });
    const contact = select('contact_id', contactOptions, u.contact_id ?? '', { 'aria-label': `${u.username} 关联的联系人` });
    return el('tr', {},
      el('td', {}, u.username), el('td', {}, u.display_name || '—'), el('td', {}, role), el('td', {}, contact), el('td', {}, u.active ? '启用' : '已停用'),
      el('td', {}, el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'secondary', onclick: async () => { if (await attempt(() => api('PATCH', `/users/${u.id}`, { role: role.value, contact_id: contact.value ? Number(contact.value) : null }))) { flash('已保存'); reload(); } } }, '保存'),
        el('button', { type: 'button', class: u.active ? 'danger' : 'secondary', onclick: async () => { if (await attempt(() => api('PATCH', `/users/${u.id}`, { active: !u.active }))) { flash(u.active ? '已停用' : '已启用'); reload(); } } }, u.active ? '停用' : '启用'),
        el('button', { type: 'button', class: 'secondary', onclick: async () => {
          const pw = prompt(`为 ${u.username} 设置新密码（至少 8 位）`);
          if (pw && await attempt(() => api('PATCH', `/users/${u.id}`, { password: pw }))) flash('密码已重置，该用户需重新登录');
        } }, '重置密码'))));
  });
  return el('section', {}, el('h1', {}, '用户'), add, out, table(['用户名', '显示名称', '角色', '关联联系人', '状态', '操作'], rows, '用户列表'));
}
