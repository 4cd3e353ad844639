// 消息模板: each bot message's wording with its placeholders, edit, reset and preview.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiFailure, isAdmin } from '../api';
import { attempt, confirmFirst, flash, Loading, reload, useLoad } from '../ui';

interface Template {
  key: string;
  title: string;
  description: string | null;
  placeholders: string[];
  text: string;
  overridden: boolean;
  sample: Record<string, string>;
}

function TemplateCard({ t }: { t: Template }): JSX.Element {
  const [text, setText] = useState(t.text);
  const [out, setOut] = useState('');
  return (
    <section class="card">
      <h2>
        {t.title}
        {t.overridden ? <span class="pill replied">已修改</span> : null}
      </h2>
      {t.description ? <p class="muted">{t.description}</p> : null}
      <p>
        占位符：
        {t.placeholders.map((p) => (
          <code key={p}>{`{${p}} `}</code>
        ))}
      </p>
      <label for={`tpl-${t.key}`}>文字</label>
      <textarea id={`tpl-${t.key}`} rows={5} disabled={!isAdmin()} value={text} onInput={(ev) => setText(ev.currentTarget.value)} />
      <div class="actions">
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            const r = await attempt(() => api<{ text: string }>('POST', `/message-templates/${t.key}/preview`, { text, values: t.sample }));
            if (r) setOut(r.text);
          }}
        >
          预览
        </button>
        {isAdmin() ? (
          <button
            type="button"
            onClick={async () => {
              if (await attempt(() => api('PUT', `/message-templates/${t.key}`, { text }))) {
                flash('已保存', 'ok', true);
                reload();
              }
            }}
          >
            保存
          </button>
        ) : null}
        {isAdmin() && t.overridden ? (
          <button
            type="button"
            class="danger"
            onClick={async () => {
              if (!(await confirmFirst(`恢复“${t.title}”的默认文字？修改过的文字将丢失。`, { confirmText: '恢复默认' }))) return;
              if (await attempt(() => api('DELETE', `/message-templates/${t.key}`))) {
                flash('已恢复默认', 'ok', true);
                reload();
              }
            }}
          >
            恢复默认
          </button>
        ) : null}
      </div>
      <pre class="data" aria-live="polite">
        {out}
      </pre>
    </section>
  );
}

export function TemplatesPage(): JSX.Element {
  const data = useLoad(async () => {
    try {
      return { items: (await api<{ items: Template[] }>('GET', '/message-templates')).items, unavailable: null };
    } catch (e) {
      if (e instanceof ApiFailure && e.status === 501) return { items: [], unavailable: e.message };
      throw e;
    }
  });
  return (
    <section>
      <h1>消息模板</h1>
      {!data ? (
        <Loading data={data} />
      ) : data.unavailable ? (
        <div class="msg err" role="status">
          {data.unavailable}
        </div>
      ) : (
        <>
          <p class="muted">占位符写作 {'{名称}'}，发送时替换为工单的实际内容。</p>
          {data.items.map((t) => (
            <TemplateCard key={t.key} t={t} />
          ))}
        </>
      )}
    </section>
  );
}
