// 用户 (admins): accounts, roles, the contact a supervisor is, disable, reset password.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { ContactItem, Page, UserItem } from '../types';
import { attempt, confirmFirst, Dialog, Field, flash, formText, Loading, reload, Select, Table, useLoad, type Options } from '../ui';

const ROLES = [['admin', '管理员'], ['supervisor', '督办人'], ['viewer', '只读']] as const;

function UserRow({ u, contactOptions }: { u: UserItem; contactOptions: Options }): JSX.Element {
  const [role, setRole] = useState<string>(u.role);
  const [contact, setContact] = useState<string>(u.contact_id ? String(u.contact_id) : '');
  const [resetting, setResetting] = useState(false);
  return (
    <tr>
      <td>{u.username}</td>
      <td>{u.display_name || '—'}</td>
      <td>
        <Select options={ROLES} value={role} aria-label={`${u.username} 的角色`} onChange={(ev) => setRole(ev.currentTarget.value)} />
      </td>
      <td>
        <Select options={contactOptions} value={contact} aria-label={`${u.username} 关联的联系人`} onChange={(ev) => setContact(ev.currentTarget.value)} />
      </td>
      <td>{u.active ? '启用' : '已停用'}</td>
      <td>
        <div class="actions">
          <button
            type="button"
            class="secondary"
            onClick={async () => {
              if (await attempt(() => api('PATCH', `/users/${u.id}`, { role, contact_id: contact ? Number(contact) : null }))) {
                flash('已保存', 'ok', true);
                reload();
              }
            }}
          >
            保存
          </button>
          <button
            type="button"
            class={u.active ? 'danger' : 'secondary'}
            onClick={async () => {
              if (u.active && !(await confirmFirst(`停用用户 ${u.username}？该用户将无法登录。`, { confirmText: '停用' }))) return;
              if (await attempt(() => api('PATCH', `/users/${u.id}`, { active: !u.active }))) {
                flash(u.active ? '已停用' : '已启用', 'ok', true);
                reload();
              }
            }}
          >
            {u.active ? '停用' : '启用'}
          </button>
          <button type="button" class="secondary" onClick={() => setResetting(true)}>
            重置密码
          </button>
        </div>
        {resetting ? (
          <Dialog
            title={`为 ${u.username} 设置新密码`}
            submitText="重置密码"
            danger
            onClose={() => setResetting(false)}
            onSubmit={async (v) => {
              const ok = await attempt(() => api('PATCH', `/users/${u.id}`, { password: v.password }));
              if (ok) flash('密码已重置，该用户需重新登录');
              return Boolean(ok);
            }}
          >
            <Field label="新密码（至少 8 位）">
              <input name="password" type="password" autocomplete="new-password" minLength={8} required />
            </Field>
          </Dialog>
        ) : null}
      </td>
    </tr>
  );
}

export function UsersPage(): JSX.Element {
  const data = useLoad(() => Promise.all([api<Page<UserItem>>('GET', '/users'), api<Page<ContactItem>>('GET', '/contacts?page_size=500&active=true')]));
  const [generated, setGenerated] = useState<string | null>(null);
  if (!data) return <Loading data={data} />;
  const [users, contacts] = data;
  const contactOptions: Options = [['', '（无）'], ...contacts.items.map((c) => [c.id, `${c.name || c.wecom_userid}（${c.unit_name || c.role_label}）`] as const)];
  return (
    <section>
      <h1>用户</h1>
      <form
        class="grid card"
        aria-label="新建用户"
        onSubmit={async (ev) => {
          ev.preventDefault();
          const form = ev.currentTarget;
          const fd = new FormData(form);
          const s = (k: string) => formText(fd.get(k));
          const res = await attempt(() =>
            api<{ user: UserItem; generated_password?: string }>('POST', '/users', {
              username: s('username'),
              display_name: s('display_name') || null,
              role: s('role'),
              contact_id: s('contact_id') ? Number(s('contact_id')) : null,
              password: s('password') || undefined,
            }),
          );
          if (res) {
            form.reset();
            flash(`已创建用户 ${res.user.username}`, 'ok', true);
            if (res.generated_password) setGenerated(`用户 ${res.user.username} 的初始密码：${res.generated_password}（只显示这一次）`);
            else reload();
          }
        }}
      >
        <Field label="用户名">
          <input name="username" required autocomplete="off" />
        </Field>
        <Field label="显示名称">
          <input name="display_name" />
        </Field>
        <Field label="角色">
          <Select name="role" options={ROLES} value="viewer" />
        </Field>
        <Field label="关联联系人（督办人必填）">
          <Select name="contact_id" options={contactOptions} value="" />
        </Field>
        <Field label="密码（空：自动生成）">
          <input name="password" type="password" autocomplete="new-password" />
        </Field>
        <button type="submit">新建用户</button>
      </form>
      <div aria-live="polite">{generated ? <div class="msg ok">{generated}</div> : null}</div>
      <Table headers={['用户名', '显示名称', '角色', '关联联系人', '状态', '操作']} caption="用户列表">
        {users.items.map((u) => (
          <UserRow key={u.id} u={u} contactOptions={contactOptions} />
        ))}
      </Table>
    </section>
  );
}
