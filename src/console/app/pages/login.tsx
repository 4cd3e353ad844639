// 登录: password sign-in (admins' accounts) and 企业微信登录 (WeCom's QR sign-in, then back to
// the page asked for).
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Field } from '../ui';

export function LoginPage({ next, onSignedIn }: { next: string; onSignedIn: () => Promise<void> }): JSX.Element {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section class="login card" aria-labelledby="login-title">
      <h1 id="login-title">登录</h1>
      <div role="alert">{error ? <div class="msg err">{error}</div> : null}</div>
      <form
        onSubmit={async (ev) => {
          ev.preventDefault();
          setError(null);
          const fd = new FormData(ev.currentTarget);
          setBusy(true);
          try {
            await api('POST', '/auth/login', { username: fd.get('username'), password: fd.get('password') }, { allow401: true });
            await onSignedIn();
          } catch (e) {
            setError(e instanceof Error ? e.message : String(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="用户名">
          <input name="username" autocomplete="username" required autoFocus />
        </Field>
        <Field label="密码">
          <input name="password" type="password" autocomplete="current-password" required />
        </Field>
        <button type="submit" disabled={busy}>
          登录
        </button>
      </form>
      <div class="or">
        <span>或</span>
      </div>
      <a class="button wecom" href={`/auth/wecom/qr?next=${encodeURIComponent(next)}`}>
        企业微信登录
      </a>
      <p class="muted small">单位联系人和督办人请用企业微信扫码登录，无需密码。</p>
    </section>
  );
}
