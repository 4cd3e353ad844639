// 消息模板: each bot message's wording with its placeholders, edit, reset and preview.
import { api, ApiFailure, attempt, el, flash, isAdmin } from '../lib.js';

export async function templatesPage() {
  let data;
  try {
    data = await api('GET', '/message-templates');
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 501) return el('section', {}, el('h1', {}, '消息模板'), el('div', { class: 'msg err', role: 'status' }, e.message));
    throw e;
  }
  const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  return el('section', {}, el('h1', {}, '消息模板'),
    el('p', { class: 'muted' }, '占位符写作 {名称}，发送时替换为工单的实际内容。'),
    data.items.map((t) => {
      const area = el('textarea', { id: `tpl-${t.key}`, rows: 5, disabled: !isAdmin() }, t.text);
      const out = el('pre', { class: 'data', 'aria-live': 'polite' });
      return el('section', { class: 'card' },
        el('h2', {}, t.title, t.overridden ? el('span', { class: 'pill replied' }, '已修改') : null),
        t.description ? el('p', { class: 'muted' }, t.description) : null,
        el('p', {}, '占位符：', t.placeholders.map((p) => el('code', {}, `{${p}} `))),
        el('label', { for: `tpl-${t.key}` }, '文字'), area,
        el('div', { class: 'actions' },
          el('button', { type: 'button', class: 'secondary', onclick: async () => { const r = await attempt(() => api('POST', `/message-templates/${t.key}/preview`, { text: area.value, values: t.sample })); if (r) out.textContent = r.text; } }, '预览'),
          isAdmin() ? el('button', { type: 'button', onclick: async () => { if (await attempt(() => api('PUT', `/message-templates/${t.key}`, { text: area.value }))) { flash('已保存'); reload(); } } }, '保存') : null,
          isAdmin() && t.overridden ? el('button', { type: 'button', class: 'danger', onclick: async () => { if (await attempt(() => api('DELETE', `/message-templates/${t.key}`))) { flash('已恢复默认'); reload(); } } }, '恢复默认') : null,
        ),
        out);
    }));
}
