// Pieces shared by the work-order pages: the state pill and the reply form of unit contacts.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { OrderListItem } from '../types';
import { attempt, flash, fmtDue, formText } from '../ui';

export function StatePill({ o }: { o: Pick<OrderListItem, 'state' | 'state_label' | 'overdue'> }): JSX.Element {
  return (
    <span>
      <span class={`pill ${o.state}`}>{o.state_label}</span>
      {o.overdue ? <span class="pill overdue">逾期</span> : null}
    </span>
  );
}

/** The deadline of an order, or the one it would get if notified now. */
export function dueText(o: Pick<OrderListItem, 'due_at' | 'expected_due_at' | 'provisional'>): string {
  if (o.due_at) return fmtDue(o.due_at, o.provisional);
  if (o.expected_due_at) return `预计 ${fmtDue(o.expected_due_at, o.provisional)}`;
  return '—';
}

const MAX_PHOTOS = 9;

/** 提交整改反馈: text and up to nine photos, as a unit contact would send them in chat. */
export function ReplyForm({ orderId, onDone }: { orderId: number; onDone: () => void }): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [count, setCount] = useState(0);
  return (
    <form
      class="reply-form"
      aria-label="提交整改反馈"
      onSubmit={async (ev) => {
        ev.preventDefault();
        const form = ev.currentTarget;
        const fd = new FormData(form);
        const text = formText(fd.get('text')).trim();
        const photos = fd.getAll('photos').filter((f): f is File => f instanceof File && f.size > 0);
        if (!text && !photos.length) return flash('请填写整改情况或选择整改后的截图', 'err');
        if (photos.length > MAX_PHOTOS) return flash(`最多上传 ${MAX_PHOTOS} 张图片`, 'err');
        if (photos.some((f) => !f.type.startsWith('image/'))) return flash('只能上传图片（JPG、PNG 等）', 'err');
        const body = new FormData();
        body.set('text', text);
        for (const f of photos) body.append('photos', f);
        setBusy(true);
        const res = await attempt(() => api<{ ok: boolean }>('POST', `/work-orders/${orderId}/replies`, body));
        setBusy(false);
        if (res) {
          form.reset();
          setCount(0);
          flash('已提交整改反馈，等待审核。', 'ok', true);
          onDone();
        }
      }}
    >
      <label for={`reply-text-${orderId}`}>整改情况</label>
      <textarea id={`reply-text-${orderId}`} name="text" rows={4} placeholder="说明已如何整改" />
      <label for={`reply-photos-${orderId}`}>整改后的截图（最多 {MAX_PHOTOS} 张）</label>
      <input id={`reply-photos-${orderId}`} name="photos" type="file" accept="image/*" multiple onChange={(ev) => setCount(ev.currentTarget.files?.length ?? 0)} />
      {count ? <p class="muted">已选择 {count} 张图片</p> : null}
      <button type="submit" disabled={busy}>
        {busy ? '正在提交…' : '提交整改反馈'}
      </button>
    </form>
  );
}
