// Shared pieces of the console: messages (flash), page loading, navigation by hash, form fields,
// tables, the pager, dialogs (a confirm dialog instead of window.confirm), formatting.
import { cloneElement, type ComponentChildren, type JSX, type VNode } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiFailure } from './api';

// ---------------------------------------------------------------------------------- messages

export interface Flash {
  message: string;
  kind: 'ok' | 'err';
  keep: boolean;
  seq: number;
}
let current: Flash | null = null;
let flashSeq = 0;
const flashListeners = new Set<(f: Flash | null) => void>();
const emitFlash = () => flashListeners.forEach((l) => l(current));

/** Shows a message; keep: it survives the next page change (a message about where we go). */
export function flash(message: string, kind: 'ok' | 'err' = 'ok', keep = false): void {
  const f = { message, kind, keep, seq: ++flashSeq };
  current = f;
  emitFlash();
  if (kind === 'ok') {
    setTimeout(() => {
      if (current === f) {
        current = null;
        emitFlash();
      }
    }, 6000);
  }
}

/** A page change: the message goes, unless it was kept for this change. */
export function clearFlash(): void {
  if (current?.keep) current = { ...current, keep: false };
  else current = null;
  emitFlash();
}

export function useFlash(): Flash | null {
  const [f, setF] = useState<Flash | null>(current);
  useEffect(() => {
    flashListeners.add(setF);
    return () => void flashListeners.delete(setF);
  }, []);
  return f;
}

/** Runs an action, showing its error as a message instead of failing silently. */
export async function attempt<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) return undefined;
    flash(e instanceof Error ? e.message : String(e), 'err');
    return undefined;
  }
}

// -------------------------------------------------------------------------------- navigation

export function hashPath(): string {
  const hash = location.hash.replace(/^#/, '') || '/';
  return hash.split('?')[0] || '/';
}

export function hashQuery(): URLSearchParams {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i >= 0 ? location.hash.slice(i + 1) : '');
}

export function setHashQuery(path: string, params: Record<string, string | number | null | undefined>): void {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  location.hash = `#${path}${s ? `?${s}` : ''}`;
}

/** Loads the page again (after a change), keeping the message about the change. */
export function reload(): void {
  window.dispatchEvent(new Event('rectify:reload'));
}

/** Data for a page: undefined while loading, null when it failed (the error is shown). */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[] = []): T | null | undefined {
  const [state, setState] = useState<{ data: T | null | undefined }>({ data: undefined });
  useEffect(() => {
    let live = true;
    setState({ data: undefined });
    attempt(fn).then(
      (data) => live && setState({ data: data ?? null }),
      () => live && setState({ data: null }),
    );
    return () => {
      live = false;
    };
  }, deps);
  return state.data;
}

export function Loading({ data }: { data: unknown }): JSX.Element {
  return <p class="muted">{data === null ? '加载失败。' : '正在加载…'}</p>;
}

// ------------------------------------------------------------------------------------- forms

/** A labelled control: <label for> + the control (a wrapping label would add a select's options to its name). */
export function Field({ label, children, class: cls }: { label: ComponentChildren; children: VNode<{ id?: string }>; class?: string }): JSX.Element {
  const id = useId();
  const props = children.props as { id?: string };
  const controlId = props.id ?? id;
  return (
    <div class={`field${cls ? ` ${cls}` : ''}`}>
      <label for={controlId}>{label}</label>
      {cloneElement(children, { id: controlId })}
    </div>
  );
}

export type Options = readonly (readonly [string | number, string])[];

export function Select({ options, value, ...rest }: { options: Options; value?: string | number | null } & Omit<JSX.SelectHTMLAttributes<HTMLSelectElement>, 'value'>): JSX.Element {
  return (
    <select {...rest}>
      {options.map(([v, t]) => (
        <option key={v} value={v} selected={String(v) === String(value ?? '')}>
          {t}
        </option>
      ))}
    </select>
  );
}

/** A form field's text: the string a text control sends ('' when absent, or for a file). */
export function formText(v: FormDataEntryValue | null): string {
  return typeof v === 'string' ? v : '';
}

/** The form's text fields, trimmed. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new FormData(form).entries()) if (typeof v === 'string') out[k] = v.trim();
  return out;
}

// ------------------------------------------------------------------------------------ tables

export type Header = string | { text: ComponentChildren; class?: string; sort?: 'ascending' | 'descending' | 'none' };

export function Table({ headers, caption, children, id }: { headers: Header[]; caption?: string; children: ComponentChildren[]; id?: string }): JSX.Element {
  return (
    <div class="table-wrap">
      <table id={id}>
        {caption ? <caption>{caption}</caption> : null}
        <thead>
          <tr>
            {headers.map((h, i) =>
              typeof h === 'string' ? (
                <th key={i} scope="col">
                  {h}
                </th>
              ) : (
                <th key={i} scope="col" class={h.class} aria-sort={h.sort}>
                  {h.text}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>
          {children.length ? (
            children
          ) : (
            <tr>
              <td colSpan={headers.length} class="muted">
                暂无数据
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function Pager({ page, pageSize, total, go }: { page: number; pageSize: number; total: number; go: (p: number) => void }): JSX.Element {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <div class="pager">
      <button type="button" class="secondary" disabled={page <= 1} onClick={() => go(page - 1)}>
        上一页
      </button>
      <span>
        第 {page} / {pages} 页，共 {total} 条
      </span>
      <button type="button" class="secondary" disabled={page >= pages} onClick={() => go(page + 1)}>
        下一页
      </button>
    </div>
  );
}

// ----------------------------------------------------------------------------------- dialogs

/**
 * A modal <dialog> (focus kept inside, Esc closes) holding a form: the children are its fields.
 * onSubmit gets the form's values; a true / undefined result closes it, false keeps it open.
 */
export function Dialog({
  title,
  children,
  submitText,
  danger,
  onSubmit,
  onClose,
}: {
  title: string;
  children?: ComponentChildren;
  submitText: string;
  danger?: boolean;
  onSubmit: (values: Record<string, string>, form: HTMLFormElement) => Promise<boolean | void> | boolean | void;
  onClose: () => void;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={ref} class="dialog" aria-label={title} onClose={onClose}>
      <form
        onSubmit={async (ev) => {
          ev.preventDefault();
          const form = ev.currentTarget;
          setBusy(true);
          const ok = await onSubmit(formValues(form), form);
          setBusy(false);
          if (ok !== false) onClose();
        }}
      >
        <h2>{title}</h2>
        {children}
        <div class="actions">
          <button type="submit" class={danger ? 'danger solid' : undefined} disabled={busy}>
            {submitText}
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            取消
          </button>
        </div>
      </form>
    </dialog>
  );
}

interface Ask {
  title: string;
  message: string;
  confirmText: string;
  danger: boolean;
  resolve: (ok: boolean) => void;
}
let asking: Ask | null = null;
const askListeners = new Set<(a: Ask | null) => void>();

/** Asks before a destructive change (the console's own dialog, not window.confirm). */
export function confirmFirst(message: string, opts: { title?: string; confirmText?: string; danger?: boolean } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    asking?.resolve(false);
    asking = { title: opts.title ?? '请确认', message, confirmText: opts.confirmText ?? '确定', danger: opts.danger ?? true, resolve };
    askListeners.forEach((l) => l(asking));
  });
}

/** Where confirmFirst's dialog appears (once, in the shell). */
export function ConfirmHost(): JSX.Element | null {
  const [a, setA] = useState<Ask | null>(asking);
  useEffect(() => {
    askListeners.add(setA);
    return () => void askListeners.delete(setA);
  }, []);
  if (!a) return null;
  const done = (ok: boolean) => {
    a.resolve(ok);
    if (asking === a) asking = null;
    setA(null);
  };
  return (
    <Dialog key={a.message} title={a.title} submitText={a.confirmText} danger={a.danger} onSubmit={() => done(true)} onClose={() => done(false)}>
      <p>{a.message}</p>
    </Dialog>
  );
}

// -------------------------------------------------------------------------------- formatting

/** A value from an API response as text: primitives as String() writes them, objects and arrays as JSON. */
export function plainText(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

const zone = 'Asia/Shanghai';
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString('zh-CN', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
}

/** A deadline; a provisional one (counted over a year whose arrangement is not yet published) says so. */
export function fmtDue(iso: string | null | undefined, provisional?: boolean): string {
  if (!iso || !provisional) return fmtTime(iso);
  const year = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric' }).format(new Date(iso));
  return `${fmtTime(iso)}（暂定，待国务院办公厅公布${year}年安排后确认）`;
}

export function fmtPct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`;
}

/** Today in business time, YYYY-MM-DD. */
export function todayIso(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}
